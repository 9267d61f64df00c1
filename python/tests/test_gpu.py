"""kpg's Python package on a GPU, against PyTorch.

Each op runs on fresh random inputs at odd shapes, in f32, f16 and bf16 (attention: f16 and
bf16), and is compared with a float64 reference computed by PyTorch (torch.softmax,
torch.nn.functional.layer_norm, scaled_dot_product_attention on float64 copies) within the
op's YAML tolerance; PyTorch's own error in the same dtype is printed beside kpg's. Also:
outputs are written in place, on the current stream (a CUDA graph captures the launch and
only its replay writes), inputs are left untouched, CuPy and DLPack objects work, and
repeated use changes no tuning record. kpg.tune records into a cache of its own.

Run with pytest (python -m pytest -q python/tests/test_gpu.py) or as a script.
"""

import hashlib
import math
import os
import pathlib
import sys
import tempfile

import torch
import torch.nn.functional as F

if not torch.cuda.is_available():
    if "pytest" in sys.modules:
        import pytest

        pytest.skip("no CUDA device visible to PyTorch", allow_module_level=True)
    print("no CUDA device visible to PyTorch: nothing to test")
    sys.exit(0)

import kpg  # noqa: E402

DTYPES = {"f32": torch.float32, "f16": torch.float16, "bf16": torch.bfloat16}
# The ops' YAML tolerances (configs/<op>.yaml), abs and rel per dtype.
TOLERANCE = {
    "softmax": {"f32": (1e-6, 1e-4), "f16": (1e-4, 5e-3), "bf16": (1e-3, 2e-2)},
    "layernorm": {"f32": (1e-5, 1e-4), "f16": (2e-3, 5e-3), "bf16": (2e-2, 2e-2)},
    "attention": {"f16": (2e-3, 1e-2), "bf16": (1e-2, 2e-2)},
}


def _cache_dir():
    for var, tail in (("KPG_CACHE_DIR", ""), ("XDG_CACHE_HOME", "kpg")):
        if os.environ.get(var):
            return pathlib.Path(os.environ[var]) / tail
    return pathlib.Path.home() / ".cache" / "kpg"


def _tuning_files():
    root = _cache_dir() / "tuning"
    if not root.exists():
        return {}
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


TUNING_BEFORE = _tuning_files()


def check(name, dtype, got, reference, baseline=None, what=""):
    """Every element within abs + rel * |reference|; prints kpg's and PyTorch's worst error."""
    atol, rtol = TOLERANCE[name][dtype]
    got = got.double()
    err = (got - reference).abs()
    bound = atol + rtol * reference.abs()
    bad = int((~(err <= bound)).sum())  # NaN counts as bad
    torch_err = f", PyTorch {float((baseline.double() - reference).abs().max()):.3g}" if baseline is not None else ""
    print(f"  {name} {dtype} {what}: kpg max error {float(err.max()):.3g}{torch_err}")
    assert bad == 0, f"{name} {dtype} {what}: {bad} of {err.numel()} elements off (max error {float(err.max()):.3g})"


def test_softmax_matches_float64_reference():
    op = kpg.op("softmax")
    for dtype, torch_dtype in DTYPES.items():
        for shape in ((37, 781), (5, 4097), (3, 2, 1000), (2, 131075)):
            x = torch.randn(shape, device="cuda", dtype=torch_dtype) * 3
            x0 = x.clone()
            y = op(x)
            assert y.shape == x.shape and y.dtype == x.dtype
            check("softmax", dtype, y, torch.softmax(x.double(), -1), torch.softmax(x, -1), f"{tuple(shape)}")
            assert torch.equal(x, x0), "the input changed"


def test_layernorm_matches_float64_reference():
    op = kpg.op("layernorm")
    for dtype, torch_dtype in DTYPES.items():
        for shape in ((33, 1000), (7, 768), (4, 3, 1600), (2, 12289)):
            n = shape[-1]
            x = torch.randn(shape, device="cuda", dtype=torch_dtype)
            w = 1 + 0.1 * torch.randn(n, device="cuda", dtype=torch_dtype)
            b = 0.1 * torch.randn(n, device="cuda", dtype=torch_dtype)
            y, mean, rstd = op(x, w, b, eps=1e-5, all_outputs=True)
            assert y.shape == x.shape and mean.dtype == torch.float32
            reference = F.layer_norm(x.double(), (n,), w.double(), b.double(), 1e-5)
            check("layernorm", dtype, y, reference, F.layer_norm(x, (n,), w, b, 1e-5), f"{tuple(shape)}")
            rows = x.double().reshape(-1, n)
            torch.testing.assert_close(mean.double(), rows.mean(-1), atol=1e-5, rtol=1e-4)
            # eps is passed through: a large one changes the result as the reference says.
            check("layernorm", dtype, op(x, w, b, eps=0.5), F.layer_norm(x.double(), (n,), w.double(), b.double(), 0.5),
                  what=f"{tuple(shape)} eps=0.5")


def test_attention_matches_float64_reference():
    op = kpg.op("attention")
    for dtype in ("f16", "bf16"):
        for b, h, n, d in ((1, 2, 77, 64), (2, 3, 1000, 64), (1, 2, 333, 128)):
            for causal in (False, True):
                q, k, v = (torch.randn(b, h, n, d, device="cuda", dtype=DTYPES[dtype]) for _ in range(3))
                o, lse = op(q, k, v, causal=causal, all_outputs=True)
                reference = F.scaled_dot_product_attention(q.double(), k.double(), v.double(), is_causal=causal)
                baseline = F.scaled_dot_product_attention(q, k, v, is_causal=causal)
                what = f"B={b} H={h} N={n} D={d} causal={causal}"
                check("attention", dtype, o, reference, baseline, what)
                scores = q.double() @ k.double().transpose(-1, -2) / math.sqrt(d)
                if causal:
                    scores = scores.masked_fill(torch.ones(n, n, device="cuda", dtype=torch.bool).triu(1), -math.inf)
                check("attention", dtype, lse, torch.logsumexp(scores, -1), what=what + " lse")


def test_outputs_are_written_in_place_on_the_current_stream():
    op = kpg.op("softmax")
    x = torch.randn(64, 1000, device="cuda")
    reference = torch.softmax(x.double(), -1)
    y = torch.empty_like(x)
    pointer = y.data_ptr()
    assert op(x, out=y) is y and y.data_ptr() == pointer
    check("softmax", "f32", y, reference, what="out=")
    # On a side stream: the launch is ordered after work queued there before it.
    side = torch.cuda.Stream()
    with torch.cuda.stream(side):
        y.fill_(math.nan)
        op(x, out=y)
    side.synchronize()
    check("softmax", "f32", y, reference, what="side stream")
    # Captured into a CUDA graph on the capture stream: nothing runs until the replay.
    y.fill_(math.nan)
    torch.cuda.synchronize()
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        op(x, out=y)
    torch.cuda.synchronize()
    assert torch.isnan(y).all(), "the launch ran outside the captured stream"
    graph.replay()
    torch.cuda.synchronize()
    check("softmax", "f32", y, reference, what="graph replay")


def test_other_frameworks_and_bad_tensors():
    op = kpg.op("softmax")
    x = torch.randn(16, 300, device="cuda")
    reference = torch.softmax(x.double(), -1)

    class DLPackOnly:  # an object seen only through DLPack
        def __init__(self, t):
            self.t = t

        def __dlpack__(self, stream=None, **kw):
            return self.t.__dlpack__(stream=stream, **kw) if stream is not None else self.t.__dlpack__()

        def __dlpack_device__(self):
            return self.t.__dlpack_device__()

    y = torch.empty_like(x)
    op(DLPackOnly(x), out=DLPackOnly(y), stream=torch.cuda.current_stream())
    torch.cuda.synchronize()
    check("softmax", "f32", y, reference, what="DLPack")
    try:
        import cupy
    except ImportError:
        print("  CuPy not installed: its path not run")
    else:
        cx = cupy.asarray(x)  # a CuPy array over the same memory
        cy = op(cx)
        assert isinstance(cy, cupy.ndarray) and cy.shape == cx.shape
        cupy.cuda.get_current_stream().synchronize()
        check("softmax", "f32", torch.as_tensor(cy, device="cuda"), reference, what="CuPy")
    for bad, kind in ((x.cpu(), ValueError), (x.t(), ValueError), (x.double(), TypeError)):
        try:
            op(bad)
        except kind as e:
            print(f"  refused: {kind.__name__}: {e}")
        else:
            raise AssertionError(f"{kind.__name__} expected")
    try:
        kpg.op("attention")(*(torch.randn(1, 2, 64, 64, device="cuda"),) * 3)
    except ValueError as e:
        assert "f32 is not one of this op's dtypes" in str(e), e


def test_config_bytes_flops_time_copy_and_device_info():
    op = kpg.op("softmax")
    x = torch.randn(4096, 781, device="cuda", dtype=torch.float16)
    y = torch.empty_like(x)
    config = op.config(x)
    assert config["source"] in ("tuning cache", "nearest tuned shape", "config default"), config
    assert op.bytes(x) == 2 * x.numel() * 2 and op.flops(x) is None
    t = kpg.time(lambda: op(x, out=y), warmup_ms=5, rep_ms=20)
    copy = kpg.same_bytes_copy(op.bytes(x) // 2, op.bytes(x) // 2, warmup_ms=5, rep_ms=20)
    for result in (t, copy):
        assert set(result) >= {"median_ms", "min_ms", "spread_pct", "reps", "launch_ms", "writeback_ms", "method"}
        assert result["reps"] >= 10 and result["method"] == "kpg-writeback-charged"
    assert copy["copier"].startswith("kpg_stream") or copy["copier"] == "cuMemcpyDtoD", copy
    assert min(copy["copiers"], key=copy["copiers"].get) == copy["copier"], copy
    assert copy["copiers"][copy["copier"]] == copy["median_ms"], copy
    gbs = op.bytes(x) / (t["median_ms"] * 1e6)
    print(f"  softmax f16 4096x781 {config['id']} ({config['source']}): {t['median_ms']:.4f} ms, {gbs:.0f} GB/s; "
          f"same-bytes copy {copy['gbs']:.0f} GB/s ({copy['copier']})")
    with torch.cuda.stream(torch.cuda.Stream()):  # the legacy default stream cannot be captured
        graphed = kpg.time(lambda: op(x, out=y), warmup_ms=5, rep_ms=20, graph=True)
    assert graphed["graph_replay"], graphed
    info = kpg.device_info()
    assert set(info) >= {"name", "sm_count", "l2_bytes", "driver", "cuda_runtime_of_driver", "nvrtc", "kpg_version",
                         "identity"}
    assert info["name"] == torch.cuda.get_device_name() and info["kpg_version"] == kpg.__version__
    print(f"  {info}")


def test_tune_records_in_its_cache_and_ops_then_read_them():
    with tempfile.TemporaryDirectory() as cache:
        old = os.environ.get("KPG_CACHE_DIR")
        os.environ["KPG_CACHE_DIR"] = cache
        try:
            result = kpg.tune("softmax", {"M": 64, "N": 1000}, "f32", budget=3)
        finally:
            if old is None:
                del os.environ["KPG_CACHE_DIR"]
            else:
                os.environ["KPG_CACHE_DIR"] = old
        print(f"  tune: {result}")
        assert result["best"] is not None and 1 <= result["timed"] + result["failed"] <= 3
        assert result["candidates"] >= result["timed"]
        x = torch.randn(64, 1000, device="cuda")
        config = kpg.op("softmax", cache_dir=cache).config(x)
        assert config["source"] == "tuning cache" and config["id"] == result["best"]["id"], config


def test_zz_repeated_use_changes_no_tuning_record():
    ops = [(kpg.op("softmax"), (torch.randn(100, 500, device="cuda"),), {}),
           (kpg.op("layernorm"), tuple(torch.randn(s, device="cuda") for s in ((100, 500), (500,), (500,))), {}),
           (kpg.op("attention"), tuple(torch.randn(1, 2, 128, 64, device="cuda", dtype=torch.float16)
                                       for _ in range(3)), {"causal": True})]
    for op, tensors, kw in ops:
        for _ in range(100):
            op(*tensors, **kw)
    torch.cuda.synchronize()
    assert _tuning_files() == TUNING_BEFORE, "the tuning cache changed"


if __name__ == "__main__":
    from script_runner import run_tests

    sys.exit(run_tests(dict(globals())))
