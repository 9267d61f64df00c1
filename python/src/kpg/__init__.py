"""kpg: the kernels kpg tuned, on your own tensors.

    import kpg
    y = kpg.op("softmax")(x)                      # PyTorch or CuPy, on the current stream
    y = kpg.op("layernorm")(x, weight, bias, eps=1e-5)
    o = kpg.op("attention")(q, k, v, causal=True)

The configuration of each shape: the tuning cache's best for this card, else the nearest
tuned shape's, else the op's default (docs/USING_KPG.md). Nothing is tuned or written unless
asked (kpg.tune, or kpg.op(..., tune_on_first_use=True)).
"""

from ._kpg import Error, NoDeviceError, library_version as _library_version
from ._op import Op, op
from ._timing import device_info, same_bytes_copy, time, tune

__version__ = _library_version()
__all__ = ["Error", "NoDeviceError", "Op", "op", "tune", "time", "same_bytes_copy", "device_info"]
