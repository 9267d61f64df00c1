"""Row softmax in Triton, written as Triton's tutorials write it: one program per row.

- `_softmax_rows`: the whole row in registers (BLOCK = the next power of two of N), one pass.
- `_softmax_rows_tiled`: for rows too long for registers, TILE elements at a time: a first
  pass keeps the running maximum and sum, a second writes exp(x - max) / sum.
The benchmark times each candidate (kernel, num_warps) that passes the output check and
keeps the fastest, as a user of Triton tunes num_warps.
"""
import torch
import triton
import triton.language as tl

WHOLE_ROW_MAX = 32768  # longest row held in registers
TILED_MIN = 16384      # shortest row the tiled kernel is tried on
TILE = 4096


@triton.jit
def _softmax_rows(x_ptr, y_ptr, n_cols, BLOCK: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    cols = tl.arange(0, BLOCK)
    mask = cols < n_cols
    x = tl.load(x_ptr + row * n_cols + cols, mask=mask, other=-float("inf")).to(tl.float32)
    x = x - tl.max(x, axis=0)
    e = tl.exp(x)
    y = e / tl.sum(e, axis=0)
    tl.store(y_ptr + row * n_cols + cols, y.to(y_ptr.dtype.element_ty), mask=mask)


@triton.jit
def _softmax_rows_tiled(x_ptr, y_ptr, n_cols, TILE: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    offs = tl.arange(0, TILE)
    row_max = tl.zeros([], tl.float32) - float("inf")
    row_sum = tl.zeros([], tl.float32)
    for start in range(0, n_cols, TILE):
        cols = start + offs
        x = tl.load(x_ptr + row * n_cols + cols, mask=cols < n_cols, other=-float("inf")).to(tl.float32)
        new_max = tl.maximum(row_max, tl.max(x, axis=0))
        row_sum = row_sum * tl.exp(row_max - new_max) + tl.sum(tl.exp(x - new_max), axis=0)
        row_max = new_max
    for start in range(0, n_cols, TILE):
        cols = start + offs
        mask = cols < n_cols
        x = tl.load(x_ptr + row * n_cols + cols, mask=mask, other=-float("inf")).to(tl.float32)
        y = tl.exp(x - row_max) / row_sum
        tl.store(y_ptr + row * n_cols + cols, y.to(y_ptr.dtype.element_ty), mask=mask)


def softmax(x, num_warps):
    y = torch.empty_like(x)
    _softmax_rows[(x.shape[0],)](x, y, x.shape[1], BLOCK=triton.next_power_of_2(x.shape[1]), num_warps=num_warps)
    return y


def softmax_tiled(x, num_warps):
    y = torch.empty_like(x)
    _softmax_rows_tiled[(x.shape[0],)](x, y, x.shape[1], TILE=TILE, num_warps=num_warps)
    return y


def candidates(x):
    """[(label, fn)] for a contiguous [M, N] x."""
    n = x.shape[1]
    found = []
    if n <= WHOLE_ROW_MAX:
        found += [(f"whole row, num_warps={w}", lambda w=w: softmax(x, w)) for w in (4, 8, 16)]
    if n >= TILED_MIN:
        found += [(f"tiled {TILE}, num_warps={w}", lambda w=w: softmax_tiled(x, w)) for w in (4, 8, 16)]
    return found
