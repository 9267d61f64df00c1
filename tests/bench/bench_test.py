#!/usr/bin/env python3
"""Tests of the benchmark command (bench/) without a GPU, torch or kpg: the driver on a fake
lab (tests/bench/fake_lab.py), the results file it writes (accepted by
scripts/results_tables.py --check), the command line, and the pure parts (cases, op
settings, Nsight Compute's CSV)."""
import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, REPO)
sys.path.insert(0, HERE)

from bench import cases as C  # noqa: E402
from bench import driver, ncu, op_settings, results, run  # noqa: E402
from bench.outcome import Skip  # noqa: E402
from fake_lab import FakeLab  # noqa: E402
import gpu_run_check  # noqa: E402

RESULTS_TABLES = os.path.join(REPO, "scripts", "results_tables.py")
TABLES = ("softmax", "layernorm", "rmsnorm", "attention", "timers")


class Run:
    """bench/run.py's main on a fake lab, into a scratch folder."""

    def __init__(self, argv=(), lab=None):
        self.dir = tempfile.mkdtemp(prefix="kpg_bench_test_")
        self.output = os.path.join(self.dir, "results.json")
        self.lab = lab or FakeLab()
        self.lines = []
        self.rc = run.main(["-o", self.output] + list(argv), make_lab=lambda args, budget: self.lab,
                           log=self.lines.append)
        self.log = "\n".join(self.lines)

    def data(self):
        with open(self.output, encoding="utf-8") as f:
            return json.load(f)

    def rows(self, **match):
        return [r for r in self.data()["rows"] if all(r.get(k) == v for k, v in match.items())]


def tables_check(results_file):
    """results_tables.py regenerating then checking every table of a scratch README from the file."""
    root = tempfile.mkdtemp(prefix="kpg_bench_tables_")
    with open(os.path.join(root, "README.md"), "w", encoding="utf-8") as f:
        for name in TABLES:
            f.write(f"<!-- results-table: {name} -->\n<!-- end results-table -->\n\n")
    steps = []
    for extra in ([], ["--check"]):
        steps.append(subprocess.run([sys.executable, RESULTS_TABLES, "--root", root, "--results", results_file] + extra,
                                    capture_output=True, text=True))
    with open(os.path.join(root, "README.md"), encoding="utf-8") as f:
        return steps, f.read()


class FullRun(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.bench = Run()

    def test_exit_zero_and_the_file_follows_the_schema(self):
        self.assertEqual(self.bench.rc, 0, self.bench.log)
        self.assertEqual(results.problems(self.bench.data()), [])

    def test_results_tables_accepts_the_file_and_generates_every_table(self):
        steps, readme = tables_check(self.bench.output)
        for step in steps:
            self.assertEqual(step.returncode, 0, step.stdout + step.stderr)
        self.assertIn("every table matches", steps[1].stdout)
        self.assertIn("| 4096x4096 | f32 |", readme)
        self.assertIn("B4 H16 N16384 D128 non-causal", readme)

    def test_every_case_has_every_implementation_once(self):
        rows = self.bench.data()["rows"]
        plan = C.full_plan()
        self.assertEqual(len(rows), sum(len(c.implementations) for c in plan))
        for case in plan:
            got = [r["implementation"] for r in rows if r["op"] == case.op and r["dtype"] == case.dtype
                   and r["shape"] == case.dims]
            self.assertEqual(got, list(case.implementations), case.label())

    def test_the_plan_covers_the_ops_dtypes_and_shapes_asked_for(self):
        plan = C.full_plan()
        for dtype in C.DTYPES:
            softmax = [c.dims for c in plan if c.op == "softmax" and c.dtype == dtype]
            self.assertIn({"M": 1, "N": 262144}, softmax)                     # M = 1
            self.assertTrue(any(d["N"] >= 131072 and d["M"] > 1 for d in softmax))  # long rows
            self.assertIn({"M": 4096, "N": 4096}, softmax)                    # mid rows
            for op in ("layernorm", "rmsnorm"):
                self.assertTrue(any(c.op == op and c.dtype == dtype for c in plan), (op, dtype))
        attention = {(c.dtype, c.dims["D"], c.dims["causal"]) for c in plan if c.op == "attention"}
        self.assertEqual(attention, {(t, d, k) for t in ("f16", "bf16") for d in (64, 128) for k in (False, True)})

    def test_memory_rows_are_judged_against_their_own_copy(self):
        for row in self.bench.rows(op="rmsnorm", dtype="bf16", implementation="kpg fused"):
            copy = [r for r in self.bench.rows(op="rmsnorm", dtype="bf16", implementation="copy")
                    if r["shape"] == row["shape"]][0]
            self.assertEqual(row["copy_gbs"], copy["gbs"])
            self.assertEqual(row["bytes"], copy["bytes"])
            self.assertAlmostEqual(row["percent_of_copy"], 100 * row["gbs"] / copy["gbs"], places=2)
            self.assertLess(row["percent_of_copy"], 100)

    def test_attention_rows_carry_flops_and_no_copy(self):
        row = self.bench.rows(op="attention", dtype="f16", implementation="cuDNN (SDPA)")[0]
        self.assertEqual(row["bound"], "compute")
        self.assertGreater(row["tflops"], 0)
        self.assertIsNone(row["copy_gbs"])

    def test_header_names_card_versions_command_and_timer(self):
        r = self.bench.data()["run"]
        self.assertEqual(r["card"], "Fake GPU")
        self.assertEqual(r["timer"], "kpg-writeback-charged")
        self.assertEqual(r["command"], f"bench/run.py -o {self.bench.output}")
        self.assertTrue(r["date"].endswith("Z"))

    def test_timers_section_has_the_kernels_and_every_method(self):
        timers = self.bench.data()["timers"]
        self.assertEqual([(t["op"], t["implementation"]) for t in timers],
                         [(c.op, i) for c, i in C.full_timer_kernels()])
        for t in timers:
            self.assertEqual(set(t["ms"]) | set(t["skipped"]), set(driver.TIMER_METHODS))
            self.assertEqual(t["skipped"]["ncu-gpu-time-duration"], "ncu not installed")
        self.assertEqual(len(self.bench.lab.ncu_specs), len(timers))

    def test_tables_are_printed_last(self):
        self.assertIn("attention:", self.bench.lines[-1])
        self.assertIn("timers:", self.bench.lines[-1])


class PeersAbsent(unittest.TestCase):
    def test_missing_peers_are_skipped_rows_and_the_run_succeeds(self):
        r = Run(["--quick"], FakeLab(missing={C.FA2, C.CUDNN, C.TORCH}, triton=False))
        self.assertEqual(r.rc, 0, r.log)
        self.assertIsNone(r.data()["run"]["triton"])
        for row in r.rows(implementation="triton"):
            self.assertEqual(row["skipped"], "triton not installed")
        for impl in (C.FA2, C.CUDNN, C.TORCH):
            self.assertTrue(all(row["skipped"] for row in r.rows(implementation=impl)), impl)
        torch_timer = [t for t in r.data()["timers"] if t["implementation"] == "torch"][0]
        self.assertEqual(set(torch_timer["skipped"]), set(driver.TIMER_METHODS))
        self.assertEqual(results.problems(r.data()), [])
        steps, _ = tables_check(r.output)
        self.assertEqual(steps[1].returncode, 0, steps[1].stderr)


class WrongAndFailing(unittest.TestCase):
    def test_a_wrong_peer_is_reported_skipped_and_not_timed(self):
        r = Run(["--quick"], FakeLab(wrong={C.TORCH}))
        self.assertEqual(r.rc, 0, r.log)
        for row in r.rows(implementation="torch"):
            self.assertTrue(row["skipped"].startswith("wrong result"))
            self.assertNotIn("median_ms", row)
        self.assertFalse([t for t in r.lab.timed if t[1] == C.TORCH])
        self.assertIn("torch                      skipped: wrong result", r.log)

    def test_a_wrong_kpg_kernel_fails_the_run(self):
        r = Run(["--quick"], FakeLab(wrong={C.KPG_UNFUSED}))
        self.assertEqual(r.rc, 1)
        self.assertIn("FAILED: softmax f32 4096x4096 kpg unfused: wrong result", r.log)
        self.assertEqual(results.problems(r.data()), [])

    def test_a_kpg_error_is_a_skipped_row_and_fails_the_run_after_every_case(self):
        r = Run(["--quick"], FakeLab(errors={C.KPG_FUSED}))
        self.assertEqual(r.rc, 1)
        self.assertEqual({row["skipped"] for row in r.rows(implementation="kpg fused")},
                         {"error: RuntimeError: kpg fused crashed"})
        self.assertTrue(all(row.get("median_ms") for row in r.rows(implementation="torch")))

    def test_a_case_that_cannot_be_set_up_is_skipped_and_the_run_goes_on(self):
        r = Run([], FakeLab(errors={"layernorm"}))
        self.assertEqual(r.rc, 1)
        self.assertEqual({row["skipped"] for row in r.rows(op="layernorm")},
                         {"error: MemoryError: no memory for the layernorm inputs"})
        self.assertTrue(all(row.get("median_ms") for row in r.rows(op="rmsnorm", implementation="kpg fused")))
        timer = [t for t in r.data()["timers"] if t["op"] == "layernorm"][0]
        self.assertEqual(set(timer["skipped"]), set(driver.TIMER_METHODS))
        self.assertEqual(results.problems(r.data()), [])

    def test_a_crashing_peer_does_not_fail_the_run(self):
        r = Run(["--quick"], FakeLab(errors={C.TRITON}))
        self.assertEqual(r.rc, 0, r.log)
        self.assertEqual(r.rows(implementation="triton")[0]["skipped"], "error: RuntimeError: triton crashed")

    def test_a_row_above_its_copy_is_written_but_fails_the_run(self):
        r = Run(["--quick"], FakeLab(speeds={C.KPG_FUSED: 3200.0}))
        self.assertEqual(r.rc, 1)
        self.assertIn("above 100 % is a measurement defect", r.log)
        self.assertTrue(os.path.exists(r.output))
        steps, _ = tables_check(r.output)
        self.assertEqual(steps[1].returncode, 2)

    def test_the_copy_is_timed_around_the_implementations_and_the_faster_is_the_ceiling(self):
        for again, ceiling in ((3100.0, 3100.0), (2900.0, 3000.0)):
            r = Run(["--quick", "--ops", "rmsnorm"], FakeLab(copy_again_gbs=again))
            self.assertEqual(r.rc, 0, r.log)
            label = r.lab.timed[0][0]
            order = [impl for case, impl in r.lab.timed if case == label]
            self.assertEqual((order[0], order[-1], order.count(C.COPY)), (C.COPY, C.COPY, 2))
            copy = r.rows(implementation="copy")[0]
            fused = [row for row in r.rows(implementation="kpg fused") if row["shape"] == copy["shape"]][0]
            self.assertAlmostEqual(copy["gbs"], ceiling, delta=1)
            self.assertEqual(fused["copy_gbs"], copy["gbs"])

    def test_ncu_times_are_recorded(self):
        r = Run(["--quick"], FakeLab(ncu=0.05))
        self.assertEqual(r.rc, 0, r.log)
        for t in r.data()["timers"]:
            self.assertEqual(t["ms"]["ncu-gpu-time-duration"], 0.05)

    def test_no_ncu_flag(self):
        r = Run(["--quick", "--no-ncu"], FakeLab(ncu=0.05))
        self.assertEqual(r.lab.ncu_specs, [])
        for t in r.data()["timers"]:
            self.assertEqual(t["skipped"]["ncu-gpu-time-duration"], "not run (--no-ncu)")


class GpuRunCheck(unittest.TestCase):
    """tests/bench/gpu_run_check.py, which the GPU machine's run must pass."""

    def test_a_complete_run_passes(self):
        r = Run(["--quick"], FakeLab(ncu=0.05))
        self.assertEqual(gpu_run_check.problems(r.data(), ncu_installed=True), [])

    def test_missing_peers_kpg_errors_and_timers_are_named(self):
        r = Run(["--quick"], FakeLab(triton=False, errors={C.KPG_UNFUSED}))
        found = "\n".join(gpu_run_check.problems(r.data(), ncu_installed=True))
        self.assertIn("kpg unfused: error: RuntimeError", found)
        self.assertIn("triton: skipped: triton not installed", found)
        self.assertIn("no ncu-gpu-time-duration (ncu not installed)", found)
        self.assertIn("no triton-do-bench", found)
        self.assertIn("run: torch and triton versions expected", found)

    def test_memory_is_the_one_reason_a_required_row_may_skip(self):
        data = Run(["--quick", "--ops", "attention"]).data()
        row = [r for r in data["rows"] if r["implementation"] == "kpg unfused"][0]
        for key in list(row):
            if key not in ("op", "dtype", "shape", "implementation", "bound"):
                del row[key]
        row["skipped"] = "standard attention's N x N intermediates need 172.0 GB, 80.0 GB of device memory free"
        self.assertEqual(gpu_run_check.problems(data, ncu_installed=False), [])
        row["skipped"] = "PyTorch not installed"
        self.assertEqual(len(gpu_run_check.problems(data, ncu_installed=False)), 1)


class CommandLine(unittest.TestCase):
    def quiet(self, argv):
        err = io.StringIO()
        with contextlib.redirect_stderr(err), self.assertRaises(SystemExit) as e:
            run.parse_args(argv)
        return e.exception.code, err.getvalue()

    def test_bad_flags_exit_2_naming_the_flag(self):
        self.assertEqual(self.quiet(["--budget", "0"]), (2, self.quiet(["--budget", "0"])[1]))
        self.assertIn("--budget: expected a positive", self.quiet(["--budget", "0"])[1])
        self.assertIn("--ops: unknown op nope", self.quiet(["--ops", "softmax,nope"])[1])
        self.assertIn("exclude each other", self.quiet(["--budget", "3", "--exhaustive"])[1])

    def test_budget_defaults(self):
        self.assertEqual(run.budget(run.parse_args([])), run.DEFAULT_BUDGET)
        self.assertEqual(run.budget(run.parse_args(["--quick"])), run.QUICK_BUDGET)
        self.assertIsNone(run.budget(run.parse_args(["--exhaustive"])))
        self.assertEqual(run.budget(run.parse_args(["--budget", "30"])), 30)

    def test_ops_selects_cases_and_timer_kernels(self):
        case_list, timers = run.plan(run.parse_args(["--ops", "attention"]))
        self.assertTrue(case_list and all(c.op == "attention" for c in case_list))
        self.assertEqual(timers, [])

    def test_attention_n_sweeps_the_lesson_rows_at_those_lengths(self):
        case_list, _ = run.plan(run.parse_args(["--ops", "attention", "--attention-n", "512,1000"]))
        self.assertEqual(len(case_list), 16)  # 2 dtypes x 2 head dims x causal or not x 2 lengths
        self.assertEqual({c.dims["N"] for c in case_list}, {512, 1000})
        self.assertEqual({(c.dtype, c.dims["D"], c.dims["causal"]) for c in case_list},
                         {(t, d, k) for t in ("f16", "bf16") for d in (64, 128) for k in (False, True)})
        others, _ = run.plan(run.parse_args(["--ops", "softmax", "--attention-n", "512"]))
        self.assertTrue(others and all(c.op == "softmax" for c in others))
        self.assertIn("--attention-n: expected positive", self.quiet(["--attention-n", "512,x"])[1])
        self.assertIn("--attention-n: expected positive", self.quiet(["--attention-n", "0"])[1])

    def test_no_timers_leaves_the_cases_and_drops_the_timers_section(self):
        cases_all, timers_all = run.plan(run.parse_args(["--ops", "layernorm"]))
        self.assertTrue(timers_all)
        case_list, timers = run.plan(run.parse_args(["--ops", "layernorm", "--no-timers"]))
        self.assertEqual([c.op for c in case_list], [c.op for c in cases_all])
        self.assertEqual(timers, [])

    def test_output_that_is_a_folder_is_refused_before_measuring(self):
        folder = tempfile.mkdtemp(prefix="kpg_bench_test_")
        lab = FakeLab()
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            rc = run.main(["-o", folder, "--quick"], make_lab=lambda a, b: lab, log=lambda s: None)
        self.assertEqual(rc, 2)
        self.assertIn("is not a regular file", err.getvalue())
        self.assertEqual(lab.timed, [])
        self.assertEqual(os.listdir(folder), [])

    def test_help_needs_no_torch_or_kpg(self):
        done = subprocess.run([sys.executable, os.path.join(REPO, "bench", "run.py"), "--help"],
                              capture_output=True, text=True)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("--exhaustive", done.stdout)

    def test_without_kpg_one_line_and_exit_2(self):
        fake = tempfile.mkdtemp(prefix="kpg_bench_nokpg_")
        os.makedirs(os.path.join(fake, "kpg"))
        with open(os.path.join(fake, "kpg", "__init__.py"), "w") as f:
            f.write("raise ImportError('no CUDA driver (libcuda.so.1)')\n")
        out = os.path.join(fake, "out.json")
        env = dict(os.environ, PYTHONPATH=fake, PYTHONDONTWRITEBYTECODE="1")
        done = subprocess.run([sys.executable, os.path.join(REPO, "bench", "run.py"), "--quick", "-o", out],
                              capture_output=True, text=True, env=env)
        self.assertEqual(done.returncode, 2, done.stdout + done.stderr)
        self.assertEqual(done.stderr.strip(), "bench/run.py: kpg's Python package cannot be imported: "
                                              "ImportError: no CUDA driver (libcuda.so.1)")
        self.assertFalse(os.path.exists(out))


class ResultsFile(unittest.TestCase):
    def test_atomic_write_keeps_the_old_file_when_writing_fails(self):
        folder = tempfile.mkdtemp(prefix="kpg_bench_test_")
        path = os.path.join(folder, "results.json")
        results.write_atomically(path, {"old": 1})
        with self.assertRaises(TypeError):
            results.write_atomically(path, {"new": object()})
        with open(path) as f:
            self.assertEqual(json.load(f), {"old": 1})
        self.assertEqual(os.listdir(folder), ["results.json"])

    def test_significant_digits(self):
        self.assertEqual(results.significant(0.0123456789), 0.0123457)
        self.assertEqual(results.significant(2551.73456), 2551.73)
        self.assertEqual(results.significant(0), 0)

    def test_rows_of_different_timers_are_refused(self):
        from fake_lab import timing
        from bench.outcome import Measured, Timing
        other = Timing(1.0, 1.0, 0.0, 10, 1.0, "plain-events")
        with self.assertRaises(ValueError):
            driver.timing_method([Measured(timing(1.0)), Measured(other)])


class Cases(unittest.TestCase):
    def test_bytes_and_flops(self):
        self.assertEqual(C.row_case("softmax", "f32", 4096, 4096).bytes(), 134217728)
        self.assertEqual(C.row_case("layernorm", "f16", 2, 8).read_write_bytes(), (2 * (16 + 16), 2 * 16 + 16))
        self.assertEqual(C.row_case("rmsnorm", "bf16", 2, 8).read_write_bytes(), (2 * (16 + 8), 2 * 16 + 8))
        a = C.attention_case("f16", 1, 2, 8, 4, False)
        self.assertEqual(a.read_write_bytes(), (3 * 2 * 8 * 4 * 2, 2 * 8 * 4 * 2 + 2 * 8 * 4))
        self.assertEqual(a.flops(), 4 * 2 * 8 * 8 * 4)
        self.assertEqual(C.attention_case("f16", 1, 2, 8, 4, True).flops(), 2 * 2 * 8 * 8 * 4)
        self.assertEqual(C.attention_case("bf16", 1, 2, 8, 4, True).kpg_dims()["CAUSAL"], 1)

    def test_bad_cases_are_refused(self):
        with self.assertRaises(ValueError):
            C.row_case("softmax", "f64", 1, 1)
        with self.assertRaises(ValueError):
            C.attention_case("f32", 1, 1, 8, 4, False)


class OpSettings(unittest.TestCase):
    def test_every_op_config_gives_tolerances_and_timing(self):
        for op in C.OPS:
            s = op_settings.load(op)
            dtypes = ("f16", "bf16") if op == "attention" else C.DTYPES
            self.assertEqual(set(s.tolerance), set(dtypes), op)
            self.assertGreater(s.rep_ms, 0)
        self.assertEqual(op_settings.load("softmax").tolerance["f32"], (1.0e-6, 1.0e-4))

    def test_inputs_and_scalars_come_from_the_config(self):
        self.assertEqual(op_settings.load("softmax").inputs, (("x", 0.0, 3.0),))
        norm = op_settings.load("layernorm")
        self.assertEqual([name for name, _, _ in norm.inputs], ["x", "gamma", "beta"])
        self.assertEqual(norm.inputs[1], ("gamma", 1.0, 0.1))
        self.assertEqual(norm.scalars, {"eps": 1.0e-5})
        self.assertEqual([name for name, _, _ in op_settings.load("attention").inputs], ["q", "k", "v"])
        text = ("buffers:\n  a: {dtype: T, init: {normal: [2.5, -1e-1]}}\n  o: {dtype: T, output: true}\n"
                "scalars: {eps: 3.0e-6}\ntolerance:\n  f32: {abs: 1, rel: 2}\ntiming: {warmup_ms: 1, rep_ms: 2}\n")
        parsed = op_settings.parse(text, "x.yaml")
        self.assertEqual(parsed.inputs, (("a", 2.5, -0.1),))
        self.assertEqual(parsed.scalars, {"eps": 3.0e-6})

    def test_a_bad_tolerance_names_file_and_line(self):
        text = "op: x\ntolerance:\n  f32: {abs: 1.0e-5}\ntiming: {warmup_ms: 1, rep_ms: 2}\n"
        with self.assertRaisesRegex(op_settings.SettingsError, r"^x.yaml:3: tolerance"):
            op_settings.parse(text, "x.yaml")
        with self.assertRaisesRegex(op_settings.SettingsError, "timing"):
            op_settings.parse("tolerance:\n  f32: {abs: 1, rel: 2}\n", "x.yaml")


NCU_OUTPUT = """==PROF== Connected to process 4242 (/usr/bin/python3)
==PROF== Profiling "softmax_block": 0%....50%....100% - 1 pass
"ID","Process ID","Process Name","Host Name","Kernel Name","Context","Stream","Block Size","Grid Size","Device","CC","Section Name","Metric Name","Metric Unit","Metric Value"
"0","4242","python3","h","softmax_block","1","7","(256, 1, 1)","(4096, 1, 1)","0","9.0","Command line profiler metrics","gpu__time_duration.sum","usecond","52.10"
"1","4242","python3","h","softmax_block","1","7","(256, 1, 1)","(4096, 1, 1)","0","9.0","Command line profiler metrics","gpu__time_duration.sum","usecond","50.90"
"2","4242","python3","h","softmax_block","1","7","(256, 1, 1)","(4096, 1, 1)","0","9.0","Command line profiler metrics","gpu__time_duration.sum","nsecond","51,300"
==PROF== Disconnected from process 4242
"""


class Ncu(unittest.TestCase):
    def test_parse_csv_in_ms_with_units_and_separators(self):
        kernels = ncu.parse_csv(NCU_OUTPUT)
        self.assertEqual([k for k, _ in kernels], ["softmax_block"] * 3)
        self.assertAlmostEqual(kernels[0][1], 0.0521)
        self.assertAlmostEqual(kernels[2][1], 0.0513)
        self.assertAlmostEqual(ncu.per_call_median_ms(kernels, calls=3), 0.0513)

    def test_several_kernels_a_call_are_summed(self):
        kernels = [("a", 1.0), ("b", 2.0), ("a", 1.5), ("b", 2.0), ("a", 1.0), ("b", 3.0)]
        self.assertEqual(ncu.per_call_median_ms(kernels, calls=3), 3.5)
        with self.assertRaises(Skip):
            ncu.per_call_median_ms(kernels[:5], calls=3)
        with self.assertRaises(Skip):
            ncu.per_call_median_ms([("a", 1.0), ("c", 1.0), ("a", 1.0)] * 1 + [("b", 1.0)] * 3, calls=2)

    def test_no_csv_and_refusals(self):
        self.assertEqual(ncu.parse_csv("==PROF== nothing\n"), [])
        refusal = ncu._refusal("==ERROR== ERR_NVGPUCTRPERM - The user does not have permission")
        self.assertIn("ERR_NVGPUCTRPERM", refusal)
        self.assertEqual(ncu._refusal("==ERROR== Failed to connect"), "ncu refused: Failed to connect")
        self.assertIsNone(ncu._refusal("all fine"))

    def test_command_has_the_asked_flags(self):
        cmd = ncu.command("/x/ncu", {"op": "softmax"}, python="py")
        self.assertEqual(cmd[:9], ["/x/ncu", "--metrics", "gpu__time_duration.sum", "--csv", "--clock-control",
                                   "none", "--cache-control", "all", "--profile-from-start"])
        self.assertEqual(cmd[-3:], ["-m", "bench.ncu_probe", '{"op": "softmax"}'])


if __name__ == "__main__":
    unittest.main()
