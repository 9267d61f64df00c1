"""Flash-attention forward in Triton, in the style of Triton's tutorials: one program per
BLOCK_M query rows of one (batch, head); K and V stream through in tiles of BLOCK_N keys
with an online softmax (running row maximum and sum, in base 2), the output accumulated in
float32 and divided by the sum once at the end. Causal attention visits only the tiles at or
below the diagonal, masking only the diagonal ones.

q, k, v, o: contiguous [B, H, N, D] tensors in float16 or bfloat16; N a multiple of BLOCK_M
(and BLOCK_M of BLOCK_N). The benchmark keeps the fastest candidate that passes the check.
"""
import math

import torch
import triton
import triton.language as tl

LOG2_E = 1.4426950408889634
# (BLOCK_M, BLOCK_N, num_warps, num_stages)
CONFIGS = ((128, 64, 4, 3), (128, 64, 8, 3), (128, 128, 8, 2))


@triton.jit
def _attend_tiles(acc, row_max, row_sum, q, k_ptr, v_ptr, rows, lo, hi, qk_scale,
                  D: tl.constexpr, BLOCK_N: tl.constexpr, MASKED: tl.constexpr):
    """Folds the keys lo..hi (a multiple of BLOCK_N apart) into the running state of `rows`."""
    keys = tl.arange(0, BLOCK_N)
    dims = tl.arange(0, D)
    for start in range(lo, hi, BLOCK_N):
        start = tl.multiple_of(start, BLOCK_N)
        k_t = tl.load(k_ptr + (start + keys)[None, :] * D + dims[:, None])      # [D, BLOCK_N]
        scores = tl.dot(q, k_t) * qk_scale                                       # log2 units
        if MASKED:
            scores = tl.where(rows[:, None] >= (start + keys)[None, :], scores, -float("inf"))
        new_max = tl.maximum(row_max, tl.max(scores, axis=1))
        p = tl.exp2(scores - new_max[:, None])
        rescale = tl.exp2(row_max - new_max)
        row_sum = row_sum * rescale + tl.sum(p, axis=1)
        v = tl.load(v_ptr + (start + keys)[:, None] * D + dims[None, :])         # [BLOCK_N, D]
        acc = acc * rescale[:, None] + tl.dot(p.to(v.dtype), v)
        row_max = new_max
    return acc, row_max, row_sum


@triton.jit
def _flash_forward(q_ptr, k_ptr, v_ptr, o_ptr, n_keys, qk_scale, D: tl.constexpr, BLOCK_M: tl.constexpr,
                   BLOCK_N: tl.constexpr, CAUSAL: tl.constexpr):
    block = tl.program_id(0)
    head = tl.program_id(1).to(tl.int64)
    base = head * n_keys * D
    q_ptr += base
    k_ptr += base
    v_ptr += base
    o_ptr += base
    rows = block * BLOCK_M + tl.arange(0, BLOCK_M)
    dims = tl.arange(0, D)
    q = tl.load(q_ptr + rows[:, None] * D + dims[None, :])
    acc = tl.zeros([BLOCK_M, D], dtype=tl.float32)
    row_max = tl.zeros([BLOCK_M], dtype=tl.float32) - float("inf")
    row_sum = tl.zeros([BLOCK_M], dtype=tl.float32)
    if CAUSAL:
        # Tiles left of this block's diagonal need no mask; the diagonal block's tiles do.
        # The first diagonal tile holds each row's own key, so no row is all -inf.
        diagonal = block * BLOCK_M
        acc, row_max, row_sum = _attend_tiles(acc, row_max, row_sum, q, k_ptr, v_ptr, rows, 0, diagonal,
                                              qk_scale, D, BLOCK_N, False)
        acc, row_max, row_sum = _attend_tiles(acc, row_max, row_sum, q, k_ptr, v_ptr, rows, diagonal,
                                              diagonal + BLOCK_M, qk_scale, D, BLOCK_N, True)
    else:
        acc, row_max, row_sum = _attend_tiles(acc, row_max, row_sum, q, k_ptr, v_ptr, rows, 0, n_keys,
                                              qk_scale, D, BLOCK_N, False)
    o = acc / row_sum[:, None]
    tl.store(o_ptr + rows[:, None] * D + dims[None, :], o.to(o_ptr.dtype.element_ty))


def attention(q, k, v, causal, block_m, block_n, num_warps, num_stages):
    b, h, n, d = q.shape
    o = torch.empty_like(q)
    grid = (n // block_m, b * h)
    _flash_forward[grid](q, k, v, o, n, LOG2_E / math.sqrt(d), D=d, BLOCK_M=block_m, BLOCK_N=block_n,
                         CAUSAL=bool(causal), num_warps=num_warps, num_stages=num_stages)
    return o


def candidates(q, k, v, causal, configs=CONFIGS):
    """[(label, fn)] of the configurations that fit the shape."""
    n = q.shape[2]
    found = []
    for bm, bn, nw, ns in configs:
        if n % bm or bm % bn:
            continue
        label = f"BLOCK_M={bm}, BLOCK_N={bn}, num_warps={nw}, num_stages={ns}"
        found.append((label, lambda bm=bm, bn=bn, nw=nw, ns=ns: attention(q, k, v, causal, bm, bn, nw, ns)))
    return found
