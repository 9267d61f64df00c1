"""The subprocess Nsight Compute profiles for the timers section (bench/ncu.py): rebuilds one
kernel as the benchmark measured it (kpg's configuration from the tuning cache, the Triton
configuration that won), warms it up, then launches it ncu.CALLS times between
cudaProfilerStart and cudaProfilerStop, each call waited for.

Usage: python3 -m bench.ncu_probe SPEC   (SPEC: the JSON of CaseLab.ncu_spec)
"""
import json
import sys

from bench import ncu
from bench.cases import Case
from bench.kpg_backend import KpgBackend
from bench.lab import Lab


def main(argv):
    spec = json.loads(argv[1])
    case = Case(spec["op"], spec["dtype"], tuple(spec["shape"].items()))
    lab = Lab(KpgBackend(), budget=None, seed=spec["seed"], log=lambda s: print(s, file=sys.stderr))
    torch = lab.torch
    if torch is None:
        print(f"ncu_probe: {lab.torch_missing}", file=sys.stderr)
        return 2
    with lab.case(case, tune=False) as c:
        fn = c.kernel(spec["implementation"], spec.get("choice"))
        for _ in range(2):
            fn()
        torch.cuda.synchronize()
        torch.cuda.profiler.start()
        for _ in range(ncu.CALLS):
            fn()
            torch.cuda.synchronize()
        torch.cuda.profiler.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
