#!/usr/bin/env python3
"""How much of a short memory-bound kernel's time is the L2 flush's, not the kernel's.

A flush that writes a buffer larger than L2 (Triton's do_bench) leaves L2 full of dirty
lines, and the timed kernel pays for writing them back. This times a device copy (torch
copy_) and Triton's LayerNorm (peers.py) at several sizes under the flushes of timing.py:
  clean  read twice the L2 (kpg's timer, peers.py);
  dirty  memset of 256 MB (do_bench);
  none   no flush (warm L2: small sizes read from L2).
GB/s = bytes read + written over the median of per-repetition CUDA-event times.

Usage: flush_study.py [--reps 200]
"""
import argparse

import torch

from peers import triton_layernorm
from timing import flushes, median_ms


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=200)
    args = parser.parse_args()
    modes = flushes()
    print(f"{torch.cuda.get_device_name()}; GB/s (read + write) by flush")
    print(f"{'work':<34} {'MB in':>6} " + " ".join(f"{k:>8}" for k in modes) + "  us dirty-clean")
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
        ms = {k: median_ms(fn, f, args.reps) for k, f in modes.items()}
        cols = " ".join(f"{moved / (ms[k] * 1e6):8.0f}" for k in modes)
        print(f"{work:<34} {mb:>6} {cols}  {1e3 * (ms['dirty'] - ms['clean']):6.1f}")


if __name__ == "__main__":
    main()
