"""The timing peers.py uses: CUDA events around each repetition, L2 emptied before each
one, median. The default flush reads a buffer of twice the L2 and leaves no dirty lines
for the timed kernel to write back, where Triton's do_bench writes one ("dirty" below) and
charges the timed kernel for the flush's write-backs. Unlike kpg's timer
(docs/design/timing.md), this does not charge a kernel the write-back of its own output,
so its figures are not comparable with kpg's results file.
"""
import statistics

import torch


def _l2_bytes():
    props = torch.cuda.get_device_properties(torch.cuda.current_device())
    return max(getattr(props, "L2_cache_size", 0), 1 << 20)


def flushes():
    """name -> flush: "clean" (kpg's), "dirty" (do_bench's memset of 256 MB), "none" (warm)."""
    read_buf = torch.zeros(2 * _l2_bytes() // 4, dtype=torch.int32, device="cuda")
    write_buf = torch.empty((256 << 20) // 4, dtype=torch.int32, device="cuda")
    sink = torch.empty((), dtype=torch.int64, device="cuda")
    return {
        "clean": lambda: torch.sum(read_buf, dim=0, out=sink),
        "dirty": write_buf.zero_,
        "none": lambda: None,
    }


def median_ms(fn, flush, reps, warmup=10):
    for _ in range(warmup):
        flush()
        fn()
    starts = [torch.cuda.Event(enable_timing=True) for _ in range(reps)]
    stops = [torch.cuda.Event(enable_timing=True) for _ in range(reps)]
    for start, stop in zip(starts, stops):
        flush()
        start.record()
        fn()
        stop.record()
    torch.cuda.synchronize()
    return statistics.median(a.elapsed_time(b) for a, b in zip(starts, stops))


_clean = None


def bench(fn, rep_ms=100.0):
    """Median ms of fn under the clean flush, repetitions for about rep_ms of fn's time."""
    global _clean
    _clean = _clean or flushes()["clean"]
    estimate = median_ms(fn, _clean, reps=5, warmup=3)
    return median_ms(fn, _clean, reps=int(min(max(rep_ms / max(estimate, 1e-3), 10), 1000)))
