"""A lab for bench/driver.py without a GPU, torch or kpg: made-up timings from each case's
bytes or flops at fixed speeds, and whatever skips, wrong results and errors a test asks for.
Its numbers are test data, never results."""
import contextlib

from bench import cases as C
from bench.outcome import Measured, Skip, Timing

METHOD = "kpg-writeback-charged"
# Made-up speeds: GB/s for memory-bound cases, TFLOP/s for attention.
GBS = {C.COPY: 3000.0, C.KPG_FUSED: 2850.0, C.KPG_UNFUSED: 900.0, C.TORCH: 2500.0, C.TRITON: 2600.0}
TFLOPS = {C.KPG_FUSED: 450.0, C.KPG_UNFUSED: 60.0, C.TORCH: 40.0, C.TRITON: 380.0, C.FA2: 400.0, C.CUDNN: 520.0}


def timing(ms):
    return Timing(median_ms=ms, min_ms=0.98 * ms, spread_pct=1.5, reps=200, launch_ms=0.9 * ms, method=METHOD)


class FakeLab:
    def __init__(self, missing=(), wrong=(), errors=(), speeds=None, ncu=None, triton=True, copy_again_gbs=None):
        """missing/wrong/errors: implementations skipped as not installed, failing the check,
        or raising (errors may also name an op, whose cases then fail to set up); speeds:
        overrides of GBS/TFLOPS; ncu: ms under ncu (None: not installed); copy_again_gbs: the
        copy's speed when a case times it a second time (None: the same as the first)."""
        self.missing, self.wrong, self.errors = set(missing), set(wrong), set(errors)
        self.speeds = dict(speeds or {})
        self.ncu = ncu
        self.triton = triton
        self.copy_again_gbs = copy_again_gbs
        self.timed = []      # (case label, implementation) in the order timed
        self.ncu_specs = []

    def header(self):
        return {"card": "Fake GPU", "sm_count": 132, "driver": "1.0", "cuda": "13.0", "nvrtc": "13.0",
                "kpg": "0.1.0", "torch": "2.11.0", "triton": "3.6.0" if self.triton else None}

    @contextlib.contextmanager
    def case(self, case):
        if case.op in self.errors:
            raise MemoryError(f"no memory for the {case.op} inputs")
        yield FakeCase(self, case)

    def ncu_ms(self, spec):
        self.ncu_specs.append(spec)
        if self.ncu is None:
            raise Skip("ncu not installed")
        return self.ncu


class FakeCase:
    def __init__(self, lab, case):
        self.lab, self.case = lab, case
        self.timings = {}

    def _ms(self, implementation):
        if self.case.bound == "memory":
            gbs = self.lab.speeds.get(implementation, GBS[implementation])
            return self.case.bytes() / (gbs * 1e6)
        tflops = self.lab.speeds.get(implementation, TFLOPS[implementation])
        return self.case.flops() / (tflops * 1e9)

    def measure(self, implementation):
        if implementation in self.lab.errors:
            raise RuntimeError(f"{implementation} crashed")
        if implementation in self.lab.missing or (implementation == C.TRITON and not self.lab.triton):
            raise Skip(f"{implementation} not installed")
        if implementation in self.lab.wrong:
            raise Skip("wrong result: 12 of 100 elements beyond abs 0.001 + rel 0.01 (largest error 0.5)")
        self.lab.timed.append((self.case.label(), implementation))
        t = timing(self._ms(implementation))
        self.timings[implementation] = t
        config = "space:P=1" if implementation.startswith("kpg") else None
        return Measured(t, config, "fake")

    def copy(self):
        if C.COPY in self.lab.errors:
            raise RuntimeError("copy crashed")
        again = any(t == (self.case.label(), C.COPY) for t in self.lab.timed)
        self.lab.timed.append((self.case.label(), C.COPY))
        if again and self.lab.copy_again_gbs:
            return Measured(timing(self.case.bytes() / (self.lab.copy_again_gbs * 1e6)))
        return Measured(timing(self._ms(C.COPY)))

    def timer_timing(self, implementation):
        if implementation == C.COPY:
            self.timings[C.COPY] = timing(self._ms(C.COPY))
        if implementation not in self.timings:
            raise Skip("the kernel was not measured in this run (its row is skipped)")
        return self.timings[implementation]

    def do_bench_ms(self, implementation):
        if not self.lab.triton:
            raise Skip("Triton not installed")
        return 1.1 * self.timings[implementation].median_ms

    def ncu_spec(self, implementation):
        return {"op": self.case.op, "dtype": self.case.dtype, "shape": self.case.dims,
                "implementation": implementation, "choice": None, "seed": 0}
