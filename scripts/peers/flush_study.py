#!/usr/bin/env python3
"""How much of a short memory-bound kernel's time is the L2 flush's, not the kernel's.

Every timer here (kpg's, Triton's do_bench) flushes L2 before each repetition by writing a
buffer larger than L2, which leaves L2 full of dirty lines: the timed kernel then pays for
writing them back. This times a device copy (torch copy_) and Triton's LayerNorm (peers.py)
at several sizes under three flushes:
  dirty  memset of 256 MB, as do_bench and kpg do;
  clean  the same memset, then a read of another 256 MB (the write-backs happen in the
         flush, L2 ends holding clean lines);
  none   no flush (warm L2: small sizes read from L2).
GB/s = bytes read + written over the median of per-repetition CUDA-event times.

Usage: flush_study.py [--reps 200]
"""
import argparse
import statistics

import torch

from peers import triton_layernorm

FLUSH_BYTES = 256 << 20


def make_flushes():
    dirty_buf = torch.empty(FLUSH_BYTES // 4, dtype=torch.int32, device="cuda")
    read_buf = torch.ones(FLUSH_BYTES // 4, dtype=torch.int32, device="cuda")
    sink = torch.empty((), dtype=torch.int64, device="cuda")

    def dirty():
        dirty_buf.zero_()

    def clean():
        dirty_buf.zero_()
        torch.sum(read_buf, dim=0, out=sink)

    return {"dirty": dirty, "clean": clean, "none": lambda: None}


def median_ms(fn, flush, reps):
    for _ in range(10):
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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=200)
    args = parser.parse_args()
    flushes = make_flushes()
    print(f"{torch.cuda.get_device_name()}; GB/s (read + write) by flush")
    print(f"{'work':<34} {'MB in':>6} " + " ".join(f"{k:>8}" for k in flushes) + "  us dirty-clean")
    rows = [("copy", mb) for mb in (16, 32, 64, 128, 256, 512, 1024)]
    rows += [("layernorm f16 4096xN (Triton)", mb) for mb in (32, 64, 128)]
    for work, mb in rows:
        if work == "copy":
            src = torch.ones(mb << 18, dtype=torch.float32, device="cuda")
            dst = torch.empty_like(src)
            fn = lambda: dst.copy_(src)
            moved = 2 * src.numel() * 4
        else:
            n = (mb << 20) // (4096 * 2)
            x = torch.randn(4096, n, dtype=torch.float16, device="cuda")
            w, b = torch.randn(n, dtype=x.dtype, device="cuda"), torch.randn(n, dtype=x.dtype, device="cuda")
            fn = lambda: triton_layernorm(x, w, b, 8)
            moved = 2 * x.numel() * 2
        ms = {k: median_ms(fn, f, args.reps) for k, f in flushes.items()}
        cols = " ".join(f"{moved / (ms[k] * 1e6):8.0f}" for k in flushes)
        print(f"{work:<34} {mb:>6} {cols}  {1e3 * (ms['dirty'] - ms['clean']):6.1f}")


if __name__ == "__main__":
    main()
