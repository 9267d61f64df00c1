"""The GPU side of the benchmark (the lab bench/driver.py drives): inputs, float64 references,
every implementation of a case built, checked and timed with kpg's timer.

PyTorch allocates the inputs and computes the references; without it only the same-bytes
copies run (kpg's own), and every other row is skipped with the reason. Without Triton, its
rows and do_bench are skipped. All work runs on one non-default torch stream, the stream
kpg's ops, the peers and kpg's timer all use (torch's current stream).
"""
import contextlib
import os

from bench import cases as C
from bench import ncu, op_settings
from bench.kpg_backend import FUSED_VARIANT, UNFUSED_VARIANT, first_output
from bench.outcome import Measured, Skip, error_text

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEVICE = "cuda"
QUICK_TRITON_CANDIDATES = 2


def _import_torch():
    try:
        import torch  # noqa: PLC0415  (lazy: the driver's tests run without torch)
    except ImportError:
        return None, "PyTorch not installed (the benchmark allocates inputs and checks outputs with it)"
    if not torch.cuda.is_available():
        return None, "PyTorch sees no CUDA device"
    return torch, None


def _import_triton():
    try:
        import triton  # noqa: PLC0415
        import triton.testing  # noqa: F401,PLC0415
    except ImportError:
        return None, "Triton not installed"
    return triton, None


class Lab:
    def __init__(self, backend, budget, seed=0, quick=False, log=print):
        """budget: candidates kpg's tuner times per variant and shape (None: all of them)."""
        self.backend = backend
        self.budget = budget
        self.seed = seed
        self.quick = quick
        self.log = log
        self.torch, self.torch_missing = _import_torch()
        self.triton, self.triton_missing = _import_triton() if self.torch else (None, "PyTorch not installed")
        if self.torch:
            self.torch.cuda.set_stream(self.torch.cuda.Stream())

    def header(self):
        device = self.backend.device_info()
        device["torch"] = self.torch.__version__ if self.torch else None
        device["triton"] = self.triton.__version__ if self.triton else None
        return device

    @contextlib.contextmanager
    def case(self, case, tune=True):
        c = CaseLab(self, case, tune)
        try:
            yield c
        finally:
            c.release()

    def ncu_ms(self, spec):
        return ncu.measure(spec, REPO)


class CaseLab:
    """One case: its inputs and reference, and each implementation's kernel once built."""

    def __init__(self, lab, case, tune):
        self.lab, self.case, self.tune = lab, case, tune
        self.settings = op_settings.load(case.op)
        self.tolerance = self.settings.tolerance[case.dtype]
        self.fns, self.timings, self.choices = {}, {}, {}
        self._reference = None
        self.inputs, self.kw = (), {}
        if lab.torch:
            self._make_inputs(lab.torch)

    def _make_inputs(self, torch):
        d = self.case.dims
        self._dtype = {"f32": torch.float32, "f16": torch.float16, "bf16": torch.bfloat16}[self.case.dtype]
        self._generator = torch.Generator(device=DEVICE).manual_seed(self.lab.seed)
        # (shape, mean, std) of each input: the distributions of the op's YAML `init`, so
        # every implementation sees the inputs kpg's tuner checks with.
        op = self.case.op
        if op == "attention":
            shapes = [(d["B"], d["H"], d["N"], d["D"])] * 3  # q, k, v
            self.kw = {"causal": d["causal"]}
        else:
            shapes = [(d["M"], d["N"]), (d["N"],), (d["N"],)][:{"softmax": 1, "layernorm": 3}.get(op, 2)]
            self.kw = {} if op == "softmax" else {"eps": self.settings.scalars["eps"]}
        if len(self.settings.inputs) != len(shapes):
            raise op_settings.SettingsError(f"configs/{op}.yaml: expected {len(shapes)} buffers with "
                                            f"'init: {{normal: [MEAN, STD]}}', found {len(self.settings.inputs)}")
        self._init = [(shape, mean, std) for shape, (_, mean, std) in zip(shapes, self.settings.inputs)]
        self.inputs = tuple(torch.empty(shape, dtype=self._dtype, device=DEVICE) for shape, _, _ in self._init)
        self._refill()

    def _refill(self):
        """New random values in the same input tensors (the kernels built on them stay valid);
        the reference is recomputed when next asked for."""
        torch = self.lab.torch
        for t, (shape, mean, std) in zip(self.inputs, self._init):
            t.copy_(torch.randn(shape, generator=self._generator, device=DEVICE) * std + mean)
        self._reference = None

    def release(self):
        self.fns, self.inputs, self._reference = {}, (), None
        if self.lab.torch:
            self.lab.torch.cuda.empty_cache()

    # ------------------------------------------------------------ building the kernels

    def _need_torch(self):
        if not self.lab.torch:
            raise Skip(self.lab.torch_missing)

    def _need_triton(self):
        self._need_torch()
        if not self.lab.triton:
            raise Skip(self.lab.triton_missing)

    def reference(self):
        from bench import reference  # noqa: PLC0415  (needs torch)
        if self._reference is None:
            op = self.case.op
            if op == "attention":
                self._reference = reference.attention(*self.inputs, self.kw["causal"])
            else:
                self._reference = getattr(reference, op)(*self.inputs, **self.kw)
        return self._reference

    def _kpg(self, implementation):
        """(fn, config id, note) of kpg's fused or unfused variant, tuned first when asked."""
        op, backend = self.case.op, self.lab.backend
        if implementation == C.KPG_UNFUSED and op == "attention":
            from bench import standard_attention  # noqa: PLC0415
            return standard_attention.build(backend, *self.inputs, self.kw["causal"])
        variant = (FUSED_VARIANT if implementation == C.KPG_FUSED else UNFUSED_VARIANT)[op]
        tuned = ""
        if self.tune:
            best, summary = backend.tune(op, variant, self.case.kpg_dims(), self.case.dtype, self.lab.budget)
            tuned = f"; tuned {best}: {summary}"
        kernel = backend.op(op, variant)
        config, source = kernel.config(*self.inputs, **self.kw)
        self._compare_bytes(kernel, variant)
        return (lambda: kernel(*self.inputs, **self.kw)), config, f"{variant} {config} ({source}){tuned}"

    def _compare_bytes(self, kernel, variant):
        """Says so when kpg's own count of the op's bytes differs from the benchmark's (the
        rows use the benchmark's, bench/cases.py, the same for every implementation)."""
        try:
            counted = kernel.bytes(*self.inputs, **self.kw)
        except Exception as e:  # noqa: BLE001  (a cross-check only)
            self.lab.log(f"  note: kpg's Op.bytes failed: {type(e).__name__}: {e}")
            return
        if counted != self.case.bytes():
            self.lab.log(f"  note: kpg counts {counted} bytes for {self.case.label()} {variant}, "
                         f"the benchmark {self.case.bytes()}")

    def _torch_fn(self, implementation):
        from bench.peers import torch_ops  # noqa: PLC0415
        x = self.inputs
        if self.case.op == "attention":
            backend = {C.TORCH: "math", C.FA2: "flash", C.CUDNN: "cudnn"}[implementation]
            return torch_ops.sdpa(*x, self.kw["causal"], backend)
        return getattr(torch_ops, self.case.op)(*x, **self.kw)

    def _triton_candidates(self):
        self._need_triton()
        op = self.case.op
        if op == "softmax":
            from bench.peers import triton_softmax as t  # noqa: PLC0415
            found = t.candidates(*self.inputs)
        elif op == "layernorm":
            from bench.peers import triton_norms as t  # noqa: PLC0415
            found = t.layernorm_candidates(*self.inputs, self.kw["eps"])
        elif op == "rmsnorm":
            from bench.peers import triton_norms as t  # noqa: PLC0415
            found = t.rmsnorm_candidates(*self.inputs, self.kw["eps"])
        else:
            from bench.peers import triton_attention as t  # noqa: PLC0415
            found = t.candidates(*self.inputs, self.kw["causal"])
        if not found:
            raise Skip("the Triton kernel has no configuration for this shape")
        return found[:QUICK_TRITON_CANDIDATES] if self.lab.quick else found

    def build(self, implementation, choice=None):
        """(fn, config, note) of an implementation other than triton and copy."""
        self._need_torch()
        if implementation in (C.KPG_FUSED, C.KPG_UNFUSED):
            return self._kpg(implementation)
        return self._torch_fn(implementation), None, ""

    # ------------------------------------------------------------ checking and timing

    def _check(self, fn):
        from bench import reference  # noqa: PLC0415
        # Fresh inputs for every check: a kernel that writes nothing cannot pass with an
        # output block the caching allocator recycles from a kernel checked before it.
        self._refill()
        out = fn()
        self.lab.torch.cuda.synchronize()
        reference.check(out, self.reference(), self.tolerance)

    def _time(self, fn):
        return self.lab.backend.time(fn, self.settings.warmup_ms, self.settings.rep_ms)

    def measure(self, implementation):
        if implementation == C.TRITON:
            return self._measure_triton()
        fn, config, note = self.build(implementation)
        self._check(fn)
        timing = self._time(fn)
        self.fns[implementation], self.timings[implementation] = fn, timing
        return Measured(timing, config, note)

    def _measure_triton(self):
        best, best_label, failed = None, None, []
        for label, fn in self._triton_candidates():
            try:
                self._check(fn)
            except Skip as s:
                failed.append(f"{label}: {s}")
                continue
            except Exception as e:  # noqa: BLE001  (compile failure, out of resources)
                failed.append(f"{label}: {error_text(e, 150)}")
                continue
            timing = self._time(fn)
            if best is None or timing.median_ms < best.median_ms:
                best, best_label = timing, label
                self.fns[C.TRITON] = fn
        for f in failed:
            self.lab.log(f"  triton {f}")
        if best is None:
            raise Skip("no Triton configuration ran correctly: " + "; ".join(failed)[:400])
        # The chosen configuration is timed afresh, as kpg's tuned kernel is: the fastest of
        # several medians is biased fast by their noise.
        best = self._time(self.fns[C.TRITON])
        self.timings[C.TRITON], self.choices[C.TRITON] = best, best_label
        return Measured(best, None, best_label)

    def copy(self):
        """The same-bytes copy: kpg's copies, launched from C++, and where those include the
        driver's copy, the same driver copy launched from Python as every row is (how a launch
        is enqueued moves its charge by up to a few per cent, docs/design/timing.md). The
        fastest is the ceiling (the first of equals)."""
        read, write = self.case.read_write_bytes()
        timing, copier, driver_copy = self.lab.backend.same_bytes_copy(read, write, self.settings.warmup_ms,
                                                                       self.settings.rep_ms)
        copies = [(timing, copier)]
        if driver_copy and self.lab.torch:
            copies += self._python_copies(read, write)
        timing, copier = min(copies, key=lambda c: c[0].median_ms)
        return Measured(timing, None, copier)

    def _python_copies(self, read, write):
        """[(Timing, name)] of the driver's copy timed from Python: of fresh buffers; of the
        op's input into a buffer like it; and, once rows are measured, of the op's input into
        the output of one more call of each row, which torch's caching allocator most likely
        places where the row's timed calls wrote (where buffers lie moves a copy by a per cent
        or two). Each buffer is freed before the next is made. The input holds a hair fewer
        bytes than the op moves, so these copies' GB/s err high: a stricter ceiling."""
        x = self.inputs[0]
        timed = [(self._time(self._torch_copy_of((read + write) // 2)), "fresh buffers")]
        like_x = self.lab.torch.empty_like(x)
        timed.append((self._time(lambda: like_x.copy_(x)), "the op's input"))
        del like_x
        for implementation, fn in list(self.fns.items()):
            out = first_output(fn())
            if out.shape == x.shape and out.dtype == x.dtype:
                timed.append((self._time(lambda: out.copy_(x)), f"the op's input into the {implementation} row's output"))
            del out
        return [(t, f"cuMemcpyDtoD from Python (torch copy_ of {where})") for t, where in timed]

    def _torch_copy_of(self, nbytes):
        src = self.lab.torch.empty(nbytes, dtype=self.lab.torch.uint8, device=DEVICE).random_(0, 256)
        dst = self.lab.torch.empty_like(src)
        return lambda: dst.copy_(src)

    # ------------------------------------------------------------ the timers section

    def _torch_copy(self):
        """torch's copy_ of the case's bytes: the copy the other timers can launch (kpg's
        same-bytes copy runs inside kpg's timer only)."""
        self._need_torch()
        read, write = self.case.read_write_bytes()
        if read != write:
            raise Skip("a torch copy reads and writes the same bytes; this case's differ")
        return self._torch_copy_of(read)

    def timer_timing(self, implementation):
        if implementation == C.COPY:
            fn = self._torch_copy()
            self.fns[C.COPY] = fn
            self.timings[C.COPY] = self._time(fn)
        if implementation not in self.timings:
            raise Skip("the kernel was not measured in this run (its row is skipped)")
        return self.timings[implementation]

    def do_bench_ms(self, implementation):
        self._need_triton()
        return float(self.lab.triton.testing.do_bench(self.fns[implementation], return_mode="median"))

    def ncu_spec(self, implementation):
        if implementation == C.COPY:
            raise Skip("torch's copy_ of contiguous bytes is a driver memcpy, not a kernel: "
                       "Nsight Compute profiles kernels only")
        return {"op": self.case.op, "dtype": self.case.dtype, "shape": self.case.dims,
                "implementation": implementation, "choice": self.choices.get(implementation), "seed": self.lab.seed}

    def kernel(self, implementation, choice=None):
        """fn of an implementation as measured, without checking or tuning (for ncu_probe)."""
        if implementation == C.COPY:
            return self._torch_copy()
        if implementation == C.TRITON:
            for label, fn in self._triton_candidates():
                if label == choice:
                    return fn
            raise Skip(f"no Triton configuration {choice!r}")
        return self.build(implementation)[0]
