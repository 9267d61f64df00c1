"""Float64 references (computed on the GPU by PyTorch in float64) and the output check every
kernel passes before it is timed. The formulas are those of kpg's builtin references
(tuner/references.cpp): softmax over rows; LayerNorm with biased variance; RMSNorm;
attention with scale 1/sqrt(D), causal rows seeing keys 0..i."""
import math

import torch

from bench.outcome import Skip

ATTENTION_CHUNK_BYTES = 2 << 30  # float64 scores computed at once


def softmax(x):
    return torch.softmax(x.double(), dim=1)


def layernorm(x, w, b, eps):
    xd = x.double()
    mean = xd.mean(dim=1, keepdim=True)
    var = ((xd - mean) ** 2).mean(dim=1, keepdim=True)
    return (xd - mean) / torch.sqrt(var + eps) * w.double() + b.double()


def rmsnorm(x, w, eps):
    xd = x.double()
    return xd * torch.rsqrt((xd * xd).mean(dim=1, keepdim=True) + eps) * w.double()


def attention(q, k, v, causal):
    """o in float32 (stored so; computed in float64), a few heads at a time to bound memory."""
    b, h, n, d = q.shape
    q3, k3, v3 = (t.reshape(b * h, n, d) for t in (q, k, v))
    out = torch.empty(b * h, n, d, dtype=torch.float32, device=q.device)
    heads = max(1, ATTENTION_CHUNK_BYTES // (n * n * 8))
    mask = torch.ones(n, n, dtype=torch.bool, device=q.device).triu(1) if causal else None
    for first in range(0, b * h, heads):
        sl = slice(first, first + heads)
        s = torch.bmm(q3[sl].double(), k3[sl].double().transpose(1, 2)) / math.sqrt(d)
        if mask is not None:
            s.masked_fill_(mask, float("-inf"))
        out[sl] = torch.bmm(torch.softmax(s, dim=2), v3[sl].double()).float()
        del s
    return out.reshape(b, h, n, d)


def check(out, ref, tolerance):
    """Raises Skip("wrong result: ...") unless |out - ref| <= abs + rel * |ref| everywhere
    (NaN anywhere is wrong)."""
    atol, rtol = tolerance
    if tuple(out.shape) != tuple(ref.shape):
        raise Skip(f"wrong result: shape {tuple(out.shape)}, expected {tuple(ref.shape)}")
    err = (out.double() - ref.double()).abs()
    bad = ~(err <= atol + rtol * ref.double().abs())
    count = int(bad.sum())
    if count:
        worst = float(torch.nan_to_num(err, nan=float("inf")).max())
        raise Skip(f"wrong result: {count} of {out.numel()} elements beyond abs {atol:g} + rel {rtol:g} "
                   f"(largest error {worst:.3g})")
