#!/usr/bin/env python3
"""kpg's benchmark: the tutorial ops tuned, beside PyTorch, Triton, FlashAttention-2 and cuDNN
where installed, all timed by kpg's timer, written to one results file
(docs/design/results_file.md) whose tables scripts/results_tables.py generates.

Usage:
    bench/run.py                       the full run -> docs/results/results.json
    bench/run.py --quick -o FILE       a few rows, a smoke test
    bench/run.py --budget 24           candidates kpg's tuner times per variant and shape
    bench/run.py --exhaustive          every candidate
    bench/run.py --ops softmax,layernorm

Needs kpg's Python package and a GPU; PyTorch for inputs and references (without it only
the same-bytes copies run). Exit status: 0; 1 when a kpg row failed or the file breaks the
results file's rules (it is written all the same); 2 for bad arguments or no kpg.
"""
import argparse
import os
import shlex
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if REPO not in sys.path:
    sys.path.insert(0, REPO)

from bench import cases, driver, results  # noqa: E402

DEFAULT_OUTPUT = os.path.join("docs", "results", "results.json")
DEFAULT_BUDGET = 8
QUICK_BUDGET = 4


def parse_args(argv):
    p = argparse.ArgumentParser(prog="bench/run.py", description=__doc__.split("\n\n")[0])
    p.add_argument("-o", "--output", default=None,
                   help=f"the results file (default: {DEFAULT_OUTPUT} in the repository)")
    p.add_argument("--quick", action="store_true", help="a few rows with a small tuning budget: a smoke test")
    p.add_argument("--budget", type=int, default=None,
                   help=f"candidates kpg's tuner times per variant and shape (default {DEFAULT_BUDGET}, "
                        f"--quick {QUICK_BUDGET})")
    p.add_argument("--exhaustive", action="store_true", help="tune over every candidate (slow)")
    p.add_argument("--ops", default=None, help=f"comma-separated subset of {','.join(cases.OPS)}")
    p.add_argument("--attention-n", default=None, metavar="N,N,...",
                   help="attention rows at these sequence lengths instead of the default ones: each in f16 and "
                        "bf16, D 64 and 128, causal or not (e.g. 512,1024,2048,4096,8192,16384)")
    p.add_argument("--seed", type=int, default=0, help="seed of the random inputs (default 0)")
    p.add_argument("--no-ncu", action="store_true", help="leave Nsight Compute out of the timers section")
    p.add_argument("--no-timers", action="store_true",
                   help="leave the timers section out (a run of some ops beside a results file that has it)")
    args = p.parse_args(argv)
    if args.budget is not None and args.budget < 1:
        p.error(f"--budget: expected a positive number of candidates, got {args.budget}")
    if args.budget is not None and args.exhaustive:
        p.error("--budget and --exhaustive exclude each other")
    if args.ops is not None:
        ops = [o.strip() for o in args.ops.split(",") if o.strip()]
        unknown = [o for o in ops if o not in cases.OPS]
        if unknown or not ops:
            p.error(f"--ops: unknown op {', '.join(unknown) or repr(args.ops)}; known: {', '.join(cases.OPS)}")
        args.ops = ops
    if args.attention_n is not None:
        text = args.attention_n
        try:
            lengths = [int(n) for n in text.split(",")]
        except ValueError:
            lengths = []
        if not lengths or min(lengths) < 1:
            p.error(f"--attention-n: expected positive sequence lengths N,N,..., got {text!r}")
        args.attention_n = lengths
    return args


def command_line(argv):
    """The command as typed from the repository root (the script named relative to it)."""
    return shlex.join(["bench/run.py"] + list(argv))


def plan(args):
    if args.quick:
        case_list, timer_kernels = cases.select_ops(cases.quick_plan(), cases.quick_timer_kernels(), args.ops)
    else:
        case_list, timer_kernels = cases.select_ops(cases.full_plan(), cases.full_timer_kernels(), args.ops)
    if args.attention_n and (args.ops is None or "attention" in args.ops):
        case_list = [c for c in case_list if c.op != "attention"] + cases.attention_sweep(args.attention_n)
    return case_list, [] if args.no_timers else timer_kernels


def budget(args):
    if args.exhaustive:
        return None
    if args.budget is not None:
        return args.budget
    return QUICK_BUDGET if args.quick else DEFAULT_BUDGET


class NoNcu:
    """The lab with Nsight Compute left out (--no-ncu)."""

    def __init__(self, lab):
        self._lab = lab

    def __getattr__(self, name):
        return getattr(self._lab, name)

    def ncu_ms(self, spec):
        from bench.outcome import Skip  # noqa: PLC0415
        raise Skip("not run (--no-ncu)")


def main(argv=None, make_lab=None, log=print):
    """make_lab(args, budget) -> lab; the default is kpg's Python package on a GPU (bench/lab.py)."""
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    output = os.path.abspath(args.output or os.path.join(REPO, DEFAULT_OUTPUT))
    try:
        results.check_output_path(output)
    except results.OutputError as e:
        print(f"bench/run.py: {e}", file=sys.stderr)
        return 2
    if make_lab is None:
        from bench.kpg_backend import BackendMissing, KpgBackend  # noqa: PLC0415
        from bench.lab import Lab  # noqa: PLC0415
        try:
            lab = Lab(KpgBackend(), budget(args), seed=args.seed, quick=args.quick, log=log)
            lab.header()
        except BackendMissing as e:
            print(f"bench/run.py: {e}", file=sys.stderr)
            return 2
    else:
        lab = make_lab(args, budget(args))
    if args.no_ncu:
        lab = NoNcu(lab)
    case_list, timer_kernels = plan(args)
    return driver.run(lab, case_list, timer_kernels, command_line(argv), output, log=log)


if __name__ == "__main__":
    sys.exit(main())
