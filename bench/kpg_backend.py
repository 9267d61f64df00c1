"""Every call the benchmark makes into kpg's Python package, in one place: a difference in the
package's contract is fixed here and nowhere else.

The contract used:
    kpg.op(name, variant) -> Op;  Op(*tensors, **scalars_and_flags) -> output(s);
    Op.config(*tensors, **kw) -> {id, source, variant};  Op.bytes(*tensors, **kw)
    kpg.tune(name, shape, dtype, variant, budget) -> {best: {id, median_ms}, candidates, timed, failed}
    kpg.time(fn, warmup_ms, rep_ms, graph) -> {median_ms, min_ms, spread_pct, reps, launch_ms, method}
    kpg.same_bytes_copy(read_bytes, write_bytes, warmup_ms, rep_ms) -> the same, plus gbs, copier, copiers
        (the driver's copy among them named cuMemcpyDtoD)
    kpg.device_info() -> {name, sm_count, driver, cuda_runtime_of_driver, nvrtc, kpg_version}
"""
from bench.outcome import Timing

# kpg's fused and unfused variant of each op (attention's fused one is the flash kernel;
# its unfused baseline is composed in bench/standard_attention.py).
FUSED_VARIANT = {"softmax": "fused", "layernorm": "fused", "rmsnorm": "fused", "attention": "flash"}
UNFUSED_VARIANT = {"softmax": "unfused", "layernorm": "unfused", "rmsnorm": "unfused"}


class BackendMissing(Exception):
    """kpg's Python package cannot be used here; the message says why."""


def _version_text(v):
    if v is None:
        return None
    if isinstance(v, (tuple, list)):
        return ".".join(str(p) for p in v)
    if isinstance(v, int) and v >= 1000:  # CUDA's encoding: 13000 -> 13.0
        return f"{v // 1000}.{v % 1000 // 10}"
    return str(v)


def _timing(d):
    return Timing(median_ms=float(d["median_ms"]), min_ms=float(d["min_ms"]), spread_pct=float(d["spread_pct"]),
                  reps=int(d["reps"]), launch_ms=float(d["launch_ms"]), method=str(d["method"]))


def first_output(result):
    """The op's first output buffer (the result the peers also give): ops with several
    outputs (LayerNorm's y, mean, rstd; attention's o, lse) may return them all."""
    if isinstance(result, (tuple, list)):
        return result[0]
    return result


class KpgOp:
    """One kpg op and variant, called like the peers: op(*tensors, **kw) -> first output."""

    def __init__(self, op, name, variant):
        self._op = op
        self.name = name
        self.variant = variant

    def __call__(self, *tensors, **kw):
        return first_output(self._op(*tensors, **kw))

    def config(self, *tensors, **kw):
        """(config id, where it came from: tuned now, tuning cache, nearest tuned shape, config default)."""
        c = self._op.config(*tensors, **kw)
        return str(c["id"]), str(c.get("source", ""))

    def bytes(self, *tensors, **kw):
        return int(self._op.bytes(*tensors, **kw))


class KpgBackend:
    def __init__(self):
        try:
            import kpg  # noqa: PLC0415  (lazy: the tests and --help run without kpg)
        except Exception as e:  # noqa: BLE001  (an ImportError, or the package's own refusal)
            raise BackendMissing(f"kpg's Python package cannot be imported: {type(e).__name__}: {e}")
        self.kpg = kpg

    def device_info(self):
        """The run header's device part: card, sm_count, driver, cuda, nvrtc, kpg."""
        try:
            info = self.kpg.device_info()
        except Exception as e:  # noqa: BLE001  (no GPU, no driver: kpg's one-line reason)
            raise BackendMissing(f"kpg sees no usable GPU: {e}")
        return {"card": str(info["name"]), "sm_count": int(info["sm_count"]),
                "driver": _version_text(info["driver"]), "cuda": _version_text(info["cuda_runtime_of_driver"]),
                "nvrtc": _version_text(info["nvrtc"]), "kpg": _version_text(info["kpg_version"])}

    def op(self, name, variant):
        return KpgOp(self.kpg.op(name, variant=variant), name, variant)

    def tune(self, name, variant, dims, dtype, budget):
        """Tunes the variant at the shape (budget None: every candidate) and records the
        winner in kpg's tuning cache; returns (best id, 'N candidates, T timed, F failed')."""
        r = self.kpg.tune(name, shape=dict(dims), dtype=dtype, variant=variant, budget=budget)
        return str(r["best"]["id"]), f"{r['candidates']} candidates, {r['timed']} timed, {r['failed']} failed"

    def time(self, fn, warmup_ms, rep_ms):
        """kpg's timer on fn, a callable that enqueues its work on torch's current stream.
        Never graph-captured: the peers allocate their outputs through torch's caching
        allocator, which a capture kpg starts does not know of."""
        return _timing(self.kpg.time(lambda *_: fn(), warmup_ms=warmup_ms, rep_ms=rep_ms, graph=False))

    def same_bytes_copy(self, read_bytes, write_bytes, warmup_ms, rep_ms):
        """(Timing, the name of the fastest copy, whether the driver's copy was among those timed)."""
        d = self.kpg.same_bytes_copy(read_bytes, write_bytes, warmup_ms=warmup_ms, rep_ms=rep_ms)
        return _timing(d), str(d["copier"]), "cuMemcpyDtoD" in d["copiers"]
