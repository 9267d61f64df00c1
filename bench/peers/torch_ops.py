"""PyTorch's own kernels for each op, as a user calls them: torch.softmax,
torch.nn.functional.layer_norm and rms_norm, and scaled_dot_product_attention with one
backend forced (math: the eager "torch" row; FlashAttention-2 and cuDNN: their own rows).
"""
import warnings

import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel

from bench.outcome import Skip

SDPA_BACKENDS = {"math": SDPBackend.MATH, "flash": SDPBackend.FLASH_ATTENTION, "cudnn": SDPBackend.CUDNN_ATTENTION}


def softmax(x):
    return lambda: torch.softmax(x, dim=1)


def layernorm(x, w, b, eps):
    return lambda: F.layer_norm(x, (x.shape[1],), w, b, eps)


def rmsnorm(x, w, eps):
    return lambda: F.rms_norm(x, (x.shape[1],), w, eps)


def sdpa(q, k, v, causal, backend):
    """fn() running SDPA with only `backend` allowed. Raises Skip, with PyTorch's reasons,
    when that backend refuses the shape or dtype (tried once here)."""
    chosen = SDPA_BACKENDS[backend]

    def fn():
        with sdpa_kernel(chosen):
            return F.scaled_dot_product_attention(q, k, v, is_causal=bool(causal))

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fn()
            torch.cuda.synchronize()
        except RuntimeError as e:
            why = [str(w.message).strip() for w in caught if "kernel not used because" in str(w.message)]
            reason = "; ".join(why) if why else str(e).strip().splitlines()[0]
            raise Skip(f"SDPA {backend} backend refuses this shape or dtype: {reason[:300]}")
    return fn
