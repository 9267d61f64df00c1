"""kpg.tune, kpg.time, kpg.same_bytes_copy and kpg.device_info."""

from . import _kpg
from . import _tensors


def tune(name, shape, dtype, variant="fused", budget=None):
    """Tunes op `name` at `shape` (dims by name, e.g. {"M": 4096, "N": 781}; flags as True/False,
    any case) and `dtype` ("f32", "f16", "bf16"): every candidate of the variant's grid (at most
    `budget` of them) checked against the float64 reference and timed, each result recorded in
    the tuning cache, where later kpg.op calls find it. Candidates run in this process: one that
    faults leaves CUDA unusable here (`kpg tune` isolates them in worker processes).

    Returns dict(best=dict(id, median_ms, min_ms, spread_pct, reps) or None, chosen=dict(...),
    candidates, timed, failed)."""
    native = _kpg.Operation.open(str(name), variant=variant)
    by_key = {d.lower(): d for d in native.dims}
    dims = {}
    for key, value in shape.items():
        if key.lower() not in by_key:
            raise ValueError(f"{native.name}: unknown dim {key!r} (dims: {', '.join(native.dims)})")
        dims[by_key[key.lower()]] = int(value)
    for flag in native.flags:
        dims.setdefault(flag, 0)
    return native.tune(dims, dtype, int(budget or 0))


def time(fn, warmup_ms=10.0, rep_ms=50.0, graph=False, stream=None, device=None):
    """Times fn() with kpg's timer (write-back charged, L2 flushed between repetitions, median
    over repetitions after warm-up; docs/design/timing.md). fn enqueues work on the current
    PyTorch (else CuPy) stream, which is the stream timed, or on `stream` when given. graph:
    replay fn from a CUDA graph captured once (fn must be capturable, and the stream not the
    legacy default stream: time inside `with torch.cuda.stream(s):`).

    Returns dict(median_ms, min_ms, spread_pct, reps, launch_ms, writeback_ms, method, graph_replay)."""
    device = _current_device() if device is None else device
    handle = _tensors.current_stream(device) if stream is None else _tensors.stream_handle(stream)
    return _kpg.time(fn, handle, float(warmup_ms), float(rep_ms), bool(graph), device)


def same_bytes_copy(read_bytes, write_bytes, warmup_ms=10.0, rep_ms=50.0, graph=False, stream=None, device=None):
    """The ceiling of a memory-bound kernel: kpg's streaming copy reading `read_bytes` and
    writing `write_bytes`, timed as time() times. Returns time()'s dict plus read_bytes,
    write_bytes, gbs ((read + write) / median, GB/s), copier (which of kpg's copies was
    the fastest, whose time this is) and copiers ({name: median_ms} of every copy timed)."""
    device = _current_device() if device is None else device
    handle = _tensors.current_stream(device) if stream is None else _tensors.stream_handle(stream)
    return _kpg.same_bytes_copy(int(read_bytes), int(write_bytes), handle, float(warmup_ms), float(rep_ms),
                                bool(graph), device)


def device_info(device=0):
    """dict(name, arch, sm_count, l2_bytes, memory_bytes, driver, cuda_runtime_of_driver, nvrtc,
    kpg_version, identity, ordinal); kpg.NoDeviceError without a GPU."""
    return _kpg.device_info(device)


def _current_device():
    import sys

    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_initialized():
        return torch.cuda.current_device()
    cupy = sys.modules.get("cupy")
    if cupy is not None:
        return cupy.cuda.Device().id
    return 0
