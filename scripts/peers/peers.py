#!/usr/bin/env python3
"""Peers measured side by side with kpg on the same card, in the same run.

PyTorch (eager ops, torch.softmax / layer_norm / SDPA) and Triton kernels written in the
style of Triton's tutorials, timed as kpg times its kernels (timing.py: CUDA events, L2
emptied by a read before each repetition, median; do_bench's memset flush would charge each
run ~6 us of write-backs that are not its own). GB/s counts the fewest bytes: inputs read
once, outputs written once; TFLOP/s counts 4*B*H*N^2*D for attention (half when causal).

Usage: peers.py softmax|layernorm|attention --json OUT [--shapes ...]
"""
import argparse
import json
import sys

import torch
import triton
import triton.language as tl

from timing import bench

DTYPES = {"f32": torch.float32, "f16": torch.float16, "bf16": torch.bfloat16}


@triton.jit
def _softmax_rows(x_ptr, y_ptr, n_cols, BLOCK: tl.constexpr):
    # One program per row, the whole row in registers: Triton's tutorial design.
    row = tl.program_id(0)
    cols = tl.arange(0, BLOCK)
    mask = cols < n_cols
    x = tl.load(x_ptr + row * n_cols + cols, mask=mask, other=-float("inf")).to(tl.float32)
    x = x - tl.max(x, axis=0)
    e = tl.exp(x)
    y = e / tl.sum(e, axis=0)
    tl.store(y_ptr + row * n_cols + cols, y.to(y_ptr.dtype.element_ty), mask=mask)


def triton_softmax(x, num_warps):
    y = torch.empty_like(x)
    _softmax_rows[(x.shape[0],)](x, y, x.shape[1], BLOCK=triton.next_power_of_2(x.shape[1]),
                                 num_warps=num_warps)
    return y


def eager_softmax(x):
    m = x.amax(dim=1, keepdim=True)
    e = torch.exp(x - m)
    return e / e.sum(dim=1, keepdim=True)


def softmax(shapes):
    rows = []
    for m, n, dt in shapes:
        x = torch.randn(m, n, device="cuda", dtype=DTYPES[dt])
        nbytes = 2 * x.numel() * x.element_size()
        gbs = lambda ms: nbytes / ms / 1e6
        row = {"M": m, "N": n, "dtype": dt,
               "torch_gbs": gbs(bench(lambda: torch.softmax(x, dim=1))),
               "eager_gbs": gbs(bench(lambda: eager_softmax(x)))}
        best = None
        if n <= 262144:
            for w in (4, 8, 16, 32):
                try:
                    ref = torch.softmax(x.float(), dim=1)
                    if not torch.allclose(triton_softmax(x, w).float(), ref, atol=1e-2, rtol=1e-2):
                        continue
                    ms = bench(lambda: triton_softmax(x, w))
                    best = ms if best is None else min(best, ms)
                except Exception as e:  # too many registers for this row length
                    print(f"triton softmax {m}x{n} num_warps={w}: {type(e).__name__}", file=sys.stderr)
        row["triton_gbs"] = gbs(best) if best else None
        rows.append(row)
        print(json.dumps(row), flush=True)
    return rows


@triton.jit
def _layernorm_rows(x_ptr, y_ptr, w_ptr, b_ptr, n_cols, eps, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    cols = tl.arange(0, BLOCK)
    mask = cols < n_cols
    x = tl.load(x_ptr + row * n_cols + cols, mask=mask, other=0.0).to(tl.float32)
    mean = tl.sum(x, axis=0) / n_cols
    d = tl.where(mask, x - mean, 0.0)
    rstd = 1.0 / tl.sqrt(tl.sum(d * d, axis=0) / n_cols + eps)
    w = tl.load(w_ptr + cols, mask=mask).to(tl.float32)
    b = tl.load(b_ptr + cols, mask=mask).to(tl.float32)
    tl.store(y_ptr + row * n_cols + cols, (d * rstd * w + b).to(y_ptr.dtype.element_ty), mask=mask)


def triton_layernorm(x, w, b, num_warps):
    y = torch.empty_like(x)
    _layernorm_rows[(x.shape[0],)](x, y, w, b, x.shape[1], 1e-5, BLOCK=triton.next_power_of_2(x.shape[1]),
                                   num_warps=num_warps)
    return y


def eager_layernorm(x, w, b):
    mean = x.mean(dim=1, keepdim=True)
    c = x - mean
    var = (c * c).mean(dim=1, keepdim=True)
    return c / torch.sqrt(var + 1e-5) * w + b


def layernorm(shapes):
    rows = []
    for m, n, dt in shapes:
        x = torch.randn(m, n, device="cuda", dtype=DTYPES[dt])
        w = torch.randn(n, device="cuda", dtype=DTYPES[dt])
        b = torch.randn(n, device="cuda", dtype=DTYPES[dt])
        nbytes = (2 * x.numel() + 2 * n) * x.element_size()
        gbs = lambda ms: nbytes / ms / 1e6
        ln = lambda: torch.nn.functional.layer_norm(x, (n,), w, b, 1e-5)
        row = {"M": m, "N": n, "dtype": dt, "torch_gbs": gbs(bench(ln)),
               "eager_gbs": gbs(bench(lambda: eager_layernorm(x, w, b)))}
        best = None
        ref = ln().float()
        for nw in (4, 8, 16):
            try:
                if not torch.allclose(triton_layernorm(x, w, b, nw).float(), ref, atol=5e-2, rtol=5e-2):
                    continue
                ms = bench(lambda: triton_layernorm(x, w, b, nw))
                best = ms if best is None else min(best, ms)
            except Exception as e:
                print(f"triton layernorm {m}x{n} num_warps={nw}: {type(e).__name__}", file=sys.stderr)
        row["triton_gbs"] = gbs(best) if best else None
        rows.append(row)
        print(json.dumps(row), flush=True)
    return rows


def attention(shapes):
    from torch.nn.attention import SDPBackend, sdpa_kernel
    rows = []
    for b, h, n, d, causal, dt in shapes:
        q, k, v = (torch.randn(b, h, n, d, device="cuda", dtype=DTYPES[dt]) for _ in range(3))
        flops = 4 * b * h * n * n * d / (2 if causal else 1)
        tf = lambda ms: flops / ms / 1e9
        row = {"B": b, "H": h, "N": n, "D": d, "causal": causal, "dtype": dt}
        for name, backend in (("fa2", SDPBackend.FLASH_ATTENTION), ("cudnn", SDPBackend.CUDNN_ATTENTION)):
            try:
                with sdpa_kernel(backend):
                    fn = lambda: torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=bool(causal))
                    row[name + "_tflops"] = tf(bench(fn))
            except Exception as e:
                row[name + "_tflops"] = None
                print(f"sdpa {name} {n}: {type(e).__name__}: {e}", file=sys.stderr)
        rows.append(row)
        print(json.dumps(row), flush=True)
    return rows


def main():
    p = argparse.ArgumentParser()
    p.add_argument("op", choices=["softmax", "layernorm", "attention"])
    p.add_argument("--json", required=True)
    p.add_argument("--shapes", nargs="*", help="M,N,dtype (attention: B,H,N,D,causal,dtype)")
    a = p.parse_args()
    defaults = {
        "softmax": ["4096,781,f32", "4096,1024,f32", "4096,2048,f32", "4096,4096,f32", "4096,8192,f32",
                    "4096,32768,f32", "16384,4096,f32", "2048,16384,f32", "1024,32768,f32", "512,65536,f32",
                    "256,131072,f32", "128,262144,f32"],
        "layernorm": [f"{m},{n},{dt}" for dt in ("f16", "f32")
                      for m, n in ((16384, 768), (16384, 1024), (16384, 1600), (4096, 4096), (4096, 8192),
                                   (2048, 12288))],
        "attention": [f"4,{32 if d == 64 else 16},{n},{d},{c},f16" for d in (64, 128)
                      for n in (1024, 2048, 4096, 8192, 16384) for c in (0, 1)],
    }
    shapes = []
    for s in a.shapes or defaults[a.op]:
        parts = s.split(",")
        shapes.append(tuple(int(x) for x in parts[:-1]) + (parts[-1],))
    rows = {"softmax": softmax, "layernorm": layernorm, "attention": attention}[a.op](shapes)
    with open(a.json, "w") as f:
        json.dump({"device": torch.cuda.get_device_name(), "torch": torch.__version__,
                   "triton": triton.__version__, "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
