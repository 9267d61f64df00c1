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
MEMORY_MARGIN = 0.8  # of the free device memory the math backend's N x N matrices may take


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
    if backend == "math":
        b, h, n, _ = q.shape
        need = 2 * b * h * n * n * 4  # scores and probabilities, float32 at worst
        free, _ = torch.cuda.mem_get_info()
        if need > MEMORY_MARGIN * free:
            raise Skip(f"SDPA's math backend holds N x N scores and probabilities: up to {need / 1e9:.1f} GB, "
                       f"{free / 1e9:.1f} GB of device memory free")

    def fn():
        with sdpa_kernel(chosen):
            return F.scaled_dot_product_attention(q, k, v, is_causal=bool(causal))

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fn()
            torch.cuda.synchronize()
        except RuntimeError as e:
            # PyTorch says why in warnings ("Flash attention kernel not used because:", then
            # the reasons); the error itself only says that no kernel was left.
            why = [str(w.message).strip() for w in caught if str(w.message).strip()]
            reason = " ".join(why) if why else str(e).strip().splitlines()[0]
            raise Skip(f"SDPA {backend} backend refuses this shape or dtype: {reason[:300]}")
    return fn
