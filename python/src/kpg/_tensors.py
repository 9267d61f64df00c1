"""Tensors of any framework as (pointer, shape, dtype, device): PyTorch and CuPy read
directly (what their DLPack or __cuda_array_interface__ would say, without building either),
other objects through __cuda_array_interface__ or DLPack. Outputs are allocated with the
framework of the first input. Nothing is copied: a tensor kpg cannot use as it is (on the
CPU, strided, of another dtype) is an error that says so."""

import sys

from . import _kpg

# kpg's dtype names <-> the frameworks' own.
_TORCH_NAMES = {"float32": "f32", "float16": "f16", "bfloat16": "bf16", "int32": "i32"}
_NUMPY_NAMES = {"float32": "f32", "float16": "f16", "int32": "i32"}
_CAI_TYPESTRS = {"<f4": "f32", "<f2": "f16", "<i4": "i32"}

_views = {}  # type -> function(obj) -> (pointer, shape, dtype, device)
_torch_dtypes = {}  # torch.dtype -> kpg's name, filled on the first torch tensor


def _torch_view(x):
    if not x.is_cuda:
        raise ValueError("kpg runs on CUDA tensors; this one is on the CPU (move it with .cuda())")
    if not x.is_contiguous():
        raise ValueError("kpg takes contiguous tensors; this one is strided (pass x.contiguous())")
    if not _torch_dtypes:
        torch = sys.modules["torch"]
        _torch_dtypes.update({getattr(torch, name): kpg for name, kpg in _TORCH_NAMES.items()})
    dtype = _torch_dtypes.get(x.dtype)
    if dtype is None:
        raise TypeError(f"kpg takes float32, float16, bfloat16 or int32 tensors, not {x.dtype}")
    return x.data_ptr(), tuple(x.shape), dtype, x.get_device()


def _cupy_view(x):
    if not x.flags.c_contiguous:
        raise ValueError("kpg takes contiguous arrays; this one is strided (pass cupy.ascontiguousarray(x))")
    dtype = _NUMPY_NAMES.get(x.dtype.name)
    if dtype is None:
        raise TypeError(f"kpg takes float32, float16 or int32 CuPy arrays, not {x.dtype}")
    return x.data.ptr, x.shape, dtype, x.device.id


def _cai_view(x):
    cai = x.__cuda_array_interface__
    shape = tuple(cai["shape"])
    dtype = _CAI_TYPESTRS.get(cai["typestr"])
    if dtype is None:
        raise TypeError(f"kpg takes float32, float16 or int32 arrays, not typestr {cai['typestr']!r}")
    strides = cai.get("strides")
    if strides is not None:
        expected, item = [], int(cai["typestr"][2:])
        for d in reversed(shape):
            expected.insert(0, item)
            item *= d
        if any(s != e for s, e, d in zip(strides, expected, shape) if d != 1):
            raise ValueError("kpg takes contiguous row-major arrays; this one is strided")
    return cai["data"][0], shape, dtype, None  # device: the op's


def _dlpack_view(x):
    return _kpg.dlpack_view(x)


def _view_function(cls):
    module = cls.__module__.split(".")[0]
    if module == "torch" and hasattr(cls, "data_ptr"):
        return _torch_view
    if module == "cupy" and hasattr(cls, "data"):
        return _cupy_view
    if hasattr(cls, "__cuda_array_interface__"):
        return _cai_view
    if hasattr(cls, "__dlpack__"):
        return _dlpack_view
    return None


def view(obj):
    """(pointer, shape, dtype, device) of a CUDA tensor; device None: the op's."""
    cls = type(obj)
    fn = _views.get(cls)
    if fn is None:
        fn = _view_function(cls)
        if fn is None and hasattr(obj, "__cuda_array_interface__"):  # set on the object, not its class
            return _cai_view(obj)
        if fn is None:
            raise TypeError(f"kpg takes CUDA tensors (PyTorch, CuPy, __cuda_array_interface__ or DLPack), "
                            f"not {cls.__module__}.{cls.__qualname__}")
        _views[cls] = fn
    return fn(obj)


def framework(obj):
    """'torch', 'cupy' or None: whose tensors kpg can allocate for outputs."""
    module = type(obj).__module__.split(".")[0]
    return module if module in ("torch", "cupy") else None


def empty_like_framework(template, shape, dtype):
    """A new tensor of `shape` and kpg dtype on the device of `template`, by its framework."""
    name = framework(template)
    if name == "torch":
        torch = sys.modules["torch"]
        return torch.empty(shape, dtype=getattr(torch, _torch_dtype_name(dtype)), device=template.device)
    if name == "cupy":
        cupy = sys.modules["cupy"]
        numpy_name = {v: k for k, v in _NUMPY_NAMES.items()}.get(dtype)
        if numpy_name is None:
            raise TypeError(f"CuPy has no {dtype} arrays; pass out= tensors of another framework")
        with template.device:
            return cupy.empty(shape, dtype=numpy_name)
    raise TypeError("kpg allocates outputs for PyTorch and CuPy inputs only; pass out= for "
                    f"{type(template).__module__}.{type(template).__qualname__}")


def _torch_dtype_name(dtype):
    return {v: k for k, v in _TORCH_NAMES.items()}[dtype]


def stream_getter(name):
    """function(device) -> the current CUDA stream of framework `name` ('torch', 'cupy') on the
    device, as an integer handle; 0 (the legacy default stream) for other frameworks."""
    if name == "torch":
        torch = sys.modules["torch"]
        raw = getattr(torch._C, "_cuda_getCurrentRawStream", None)  # an int, no Stream object made
        return raw if raw is not None else (lambda device: torch.cuda.current_stream(device).cuda_stream)
    if name == "cupy":
        cupy = sys.modules["cupy"]
        return lambda device: cupy.cuda.get_current_stream().ptr
    return lambda device: 0


def current_stream(device):
    """The current stream of PyTorch when it is imported and initialised, else of CuPy when it
    is imported, else 0."""
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_initialized():
        return stream_getter("torch")(device)
    if "cupy" in sys.modules:
        return stream_getter("cupy")(device)
    return 0


def stream_handle(stream):
    """An integer CUstream from an int, a torch.cuda.Stream (.cuda_stream) or a CuPy stream (.ptr)."""
    if isinstance(stream, int):
        return stream
    for attribute in ("cuda_stream", "ptr"):
        handle = getattr(stream, attribute, None)
        if isinstance(handle, int):
            return handle
    raise TypeError(f"stream= takes an int handle, a torch.cuda.Stream or a CuPy stream, not {type(stream).__name__}")
