"""The Python package without a GPU: ops open, say what they take, refuse bad input with a
Python exception carrying kpg's message, and report the missing GPU in one line. Run by
ctest (tests/library/check_python_package.sh) with the driver made unavailable; needs no
pytest, torch or numpy."""

import importlib.metadata
import sys

import kpg


class FakeCudaArray:
    """A device array by __cuda_array_interface__ (the pointer is never dereferenced here)."""

    def __init__(self, shape, typestr="<f4", strides=None, pointer=1 << 32):
        self.__cuda_array_interface__ = {"shape": tuple(shape), "typestr": typestr, "data": (pointer, False),
                                         "strides": strides, "version": 3}


def raises(kind, call, *needles):
    try:
        call()
    except kind as e:
        text = str(e)
        for needle in needles:
            assert needle in text, f"{kind.__name__} message {text!r} lacks {needle!r}"
        assert "\n" not in text, f"message is not one line: {text!r}"
        return e
    except Exception as e:  # noqa: BLE001
        raise AssertionError(f"expected {kind.__name__}, got {type(e).__name__}: {e}") from e
    raise AssertionError(f"expected {kind.__name__}, nothing was raised")


def test_version():
    assert kpg.__version__ == importlib.metadata.version("kpg"), (kpg.__version__, importlib.metadata.version("kpg"))


def test_ops_open_and_say_what_they_take():
    softmax = kpg.op("softmax")
    assert (softmax.name, softmax.variant, softmax.inputs, softmax.outputs) == ("softmax", "fused", ("x",), ("y",))
    layernorm = kpg.op("layernorm")
    assert layernorm.inputs == ("x", "gamma", "beta") and layernorm.scalars == ("eps",)
    attention = kpg.op("attention")
    assert attention.variant == "flash" and attention.inputs == ("q", "k", "v")
    assert kpg.op("softmax", variant="unfused").variant == "unfused"


def test_bytes_and_flops_need_no_gpu():
    x = FakeCudaArray((3, 5, 781))  # leading dims merge: M = 15
    assert kpg.op("softmax").bytes(x) == 2 * 15 * 781 * 4
    assert kpg.op("softmax").flops(x) is None
    q = FakeCudaArray((2, 4, 77, 64), "<f2")
    flops = kpg.op("attention").flops(q, q, q, causal=True)
    assert flops == 4 * 2 * 4 * 77 * 77 * 64 / 2, flops


def test_bad_input_is_value_or_type_error():
    raises(ValueError, lambda: kpg.op("no_such_op"), "unknown op", "softmax")
    raises(ValueError, lambda: kpg.op("softmax", variant="ring"), "no variant 'ring'", "fused, unfused")
    softmax, layernorm = kpg.op("softmax"), kpg.op("layernorm")
    x = FakeCudaArray((15, 781))
    raises(TypeError, lambda: softmax(x, x), "takes 1 input tensor(s) (x), got 2")
    raises(TypeError, lambda: softmax(x, causal=True), "unexpected keyword argument 'causal'")
    raises(TypeError, lambda: softmax(object()), "kpg takes CUDA tensors")
    raises(TypeError, lambda: softmax(FakeCudaArray((15, 781), "<f8")), "not typestr '<f8'")
    raises(ValueError, lambda: softmax(FakeCudaArray((15, 781), strides=(4, 60))), "strided")
    raises(ValueError, lambda: softmax(FakeCudaArray((781,))), "input 'x' has 1 dim(s) [781]; it needs 2")
    raises(ValueError, lambda: layernorm(x, FakeCudaArray((780,)), FakeCudaArray((781,))),
           "input 'gamma' has dims [780], expected [N] = [781]")
    raises(TypeError, lambda: layernorm(x, FakeCudaArray((781,), "<f2"), FakeCudaArray((781,))),
           "input 'gamma' must be f32, got f16")
    raises(ValueError, lambda: kpg.op("attention")(*[FakeCudaArray((2, 4, 77, 64), "<f4")] * 3),
           "f32 is not one of this op's dtypes (f16, bf16)")


def test_without_a_gpu_every_gpu_call_is_no_device_error():
    x = FakeCudaArray((15, 781))
    softmax = kpg.op("softmax")
    for call in (lambda: softmax(x, out=FakeCudaArray((15, 781))), lambda: softmax.config(x),
                 lambda: kpg.device_info(), lambda: kpg.time(lambda: None),
                 lambda: kpg.same_bytes_copy(1 << 20, 1 << 20),
                 lambda: kpg.tune("softmax", {"M": 64, "N": 100}, "f32", budget=2)):
        e = raises(kpg.NoDeviceError, call, "no CUDA driver")
        assert isinstance(e, kpg.Error) and isinstance(e, RuntimeError)


if __name__ == "__main__":
    from script_runner import run_tests

    sys.exit(run_tests(dict(globals())))
