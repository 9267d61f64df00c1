"""kpg's unfused attention row: standard attention as tutorial 3 runs it, with the N x N score
matrix in device memory. Each step is a reasonable kernel on its own:
    S = scale * Q K^T      cuBLAS batched GEMM (torch.baddbmm), 16-bit inputs, float32 S
    S[i, j > i] = -inf     causal only: masked_fill_ with a precomputed [N, N] mask
    Y = softmax(S)         kpg's fused softmax over the B*H*N rows, float32 (several launches
                           when S has more elements than one launch indexes)
    P = (T) Y              cast to the inputs' type
    O = P V                cuBLAS batched GEMM (torch.bmm)
The softmax uses kpg's configuration for the rows of S as a library user gets it (tuning
cache, nearest tuned shape or default): tuning at B*H*N rows of N would need the N x N
matrices on the host for the float64 reference.
"""
import math

import torch

from bench.outcome import Skip

MEMORY_MARGIN = 0.8  # of the free device memory the intermediates may take
MAX_ELEMENTS = 2**31 - 1  # of one kpg launch (its kernels index with 32-bit ints): larger S is split by rows


def intermediate_bytes(b, h, n, element_bytes):
    """S and Y in float32 and P in the inputs' type: [B*H, N, N] each."""
    return b * h * n * n * (4 + 4 + element_bytes)


def build(backend, q, k, v, causal):
    """(fn, config id, note): fn() -> O. Raises Skip when the intermediates do not fit."""
    b, h, n, d = q.shape
    need = intermediate_bytes(b, h, n, q.element_size())
    free, _ = torch.cuda.mem_get_info()
    if need > MEMORY_MARGIN * free:
        raise Skip(f"standard attention's N x N intermediates need {need / 1e9:.1f} GB, "
                   f"{free / 1e9:.1f} GB of device memory free")
    q3, k3, v3 = (t.reshape(b * h, n, d) for t in (q, k, v))
    k3t = k3.transpose(1, 2)
    zero = torch.zeros(1, 1, 1, dtype=torch.float32, device=q.device)  # baddbmm's added term, beta = 0
    mask = torch.ones(n, n, dtype=torch.bool, device=q.device).triu(1) if causal else None
    scale = 1.0 / math.sqrt(d)
    softmax = backend.op("softmax", "fused")

    def scores():
        return torch.baddbmm(zero, q3, k3t, out_dtype=torch.float32, beta=0.0, alpha=scale)

    rows = b * h * n
    chunk = max(1, MAX_ELEMENTS // n)  # rows a softmax launch takes

    def fn():
        s = scores()
        if mask is not None:
            s.masked_fill_(mask, float("-inf"))
        s2, y = s.view(rows, n), torch.empty(rows, n, dtype=torch.float32, device=q.device)
        for r in range(0, rows, chunk):
            softmax(s2[r:r + chunk], out=y[r:r + chunk])
        return torch.bmm(y.to(q.dtype).view(b * h, n, n), v3).view(b, h, n, d)

    try:
        s = scores()
    except (TypeError, RuntimeError) as e:
        raise Skip(f"this PyTorch has no float32-output GEMM of 16-bit inputs (torch.baddbmm out_dtype): "
                   f"{str(e).splitlines()[0][:200]}")
    config, source = softmax.config(s.view(rows, n)[:chunk])
    del s
    launches = f", {-(-rows // chunk)} launches of at most {chunk} rows" if chunk < rows else ""
    return fn, config, f"kpg softmax {config} ({source}) on float32 scores{launches}; GEMMs torch.baddbmm/bmm"
