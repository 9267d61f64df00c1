#!/usr/bin/env python3
"""Tests of scripts/results_tables.py on the fixture results file tests/data/results_fixture.json
(a made-up run for these tests only; the product's tables come from a measured run)."""
import contextlib
import copy
import io
import json
import os
import shutil
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(REPO, "scripts"))

import results_tables as rt  # noqa: E402

FIXTURE = os.path.join(REPO, "tests", "data", "results_fixture.json")


def fixture():
    with open(FIXTURE, encoding="utf-8") as f:
        return json.load(f)


def row(data, op, impl, dtype=None):
    for r in data["rows"]:
        if r["op"] == op and r["implementation"] == impl and (dtype is None or r["dtype"] == dtype):
            return r
    raise KeyError((op, impl))


class Tree:
    """A scratch repository: README.md, docs/, docs/design/ and a results file."""

    def __init__(self, data=None):
        self.root = tempfile.mkdtemp(prefix="kpg_results_tables_")
        os.makedirs(os.path.join(self.root, "docs", "design"))
        self.results = os.path.join(self.root, "docs", "results", "results.json")
        if data is not None:
            self.write_results(data)

    def write_results(self, data):
        os.makedirs(os.path.dirname(self.results), exist_ok=True)
        with open(self.results, "w", encoding="utf-8") as f:
            json.dump(data, f)

    def write(self, rel, text):
        path = os.path.join(self.root, rel)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def read(self, rel):
        with open(os.path.join(self.root, rel), encoding="utf-8") as f:
            return f.read()

    def run(self, check):
        out, err = io.StringIO(), io.StringIO()
        code = rt.run(self.root, rt.default_results(self.root), check, out, err)
        return code, out.getvalue(), err.getvalue()

    def remove(self):
        shutil.rmtree(self.root)


def block(name, inside="stale\n"):
    return f"<!-- results-table: {name} -->\n{inside}<!-- end results-table -->\n"


class ValidateTest(unittest.TestCase):
    def test_fixture_is_valid(self):
        self.assertEqual(rt.validate(fixture()), [])

    def test_a_memory_row_above_its_copy_is_refused_as_a_defect(self):
        data = fixture()
        r = row(data, "softmax", "kpg fused", "f32")
        r["median_ms"] = r["min_ms"] = 0.0480  # faster than the 0.05 ms copy of the same bytes
        r["gbs"] = round(r["bytes"] / (r["median_ms"] * 1e6), 1)
        r["percent_of_copy"] = round(100 * r["gbs"] / r["copy_gbs"], 2)
        problems = rt.validate(data)
        self.assertEqual(len(problems), 1, problems)
        self.assertIn("104.2 % of its same-bytes copy", problems[0])
        self.assertIn("measurement defect", problems[0])
        self.assertTrue(problems[0].startswith("rows[1]:"), problems[0])

    def test_figures_must_agree_with_each_other(self):
        data = fixture()
        row(data, "softmax", "torch", "f32")["gbs"] *= 1.1
        row(data, "layernorm", "kpg fused")["percent_of_copy"] = 50.0
        row(data, "attention", "kpg fused")["tflops"] *= 2
        problems = "\n".join(rt.validate(data))
        self.assertIn(".gbs: ", problems)
        self.assertIn("is not bytes / median time", problems)
        self.assertIn(".percent_of_copy: 50.0 is not 100 x gbs / copy_gbs", problems)
        self.assertIn(".tflops: ", problems)

    def test_run_fields_are_required(self):
        data = fixture()
        del data["run"]["card"]
        data["run"]["date"] = "2026-01-31 12:00"
        data["run"]["sm_count"] = "132"
        del data["run"]["triton"]
        problems = rt.validate(data)
        self.assertIn("run.card: expected a non-empty string", problems)
        self.assertIn("run.sm_count: expected a positive integer", problems)
        self.assertIn("run.triton: expected a version string, or null when not installed", problems)
        self.assertTrue(any(p.startswith("run.date: expected UTC ISO 8601") for p in problems), problems)

    def test_non_utc_dates_and_other_schema_versions_are_refused(self):
        data = fixture()
        data["run"]["date"] = "2026-01-31T12:00:00+02:00"
        data["schema_version"] = 2
        problems = rt.validate(data)
        self.assertTrue(any(p.startswith("run.date:") for p in problems), problems)
        self.assertIn("schema_version: expected 1, got 2", problems)

    def test_rows_need_their_fields_unless_skipped(self):
        data = fixture()
        r = row(data, "softmax", "kpg unfused")
        del r["config"]
        r["reps"] = 0
        r["implementation"] = "kpg unfused"
        memory = row(data, "layernorm", "torch")
        memory["copy_gbs"] = None
        bad_shape = row(data, "rmsnorm", "kpg fused")
        bad_shape["shape"] = {"M": 2048}
        problems = "\n".join(rt.validate(data))
        self.assertIn(".config: expected the kpg config id", problems)
        self.assertIn(".reps: expected a positive integer", problems)
        self.assertIn(".copy_gbs: expected the same-bytes copy's GB/s for a memory-bound row", problems)
        self.assertIn(".shape: expected the keys M, N, got M", problems)
        # A skipped row needs only its reason.
        skipped = row(data, "softmax", "triton", "f32")
        self.assertEqual(set(skipped), {"op", "dtype", "shape", "implementation", "bound", "skipped"})

    def test_unknown_implementations_duplicates_and_empty_skip_reasons(self):
        data = fixture()
        data["rows"].append(copy.deepcopy(row(data, "softmax", "torch", "f32")))
        row(data, "attention", "torch")["implementation"] = "pytorch"
        row(data, "softmax", "triton", "f32")["skipped"] = " "
        problems = "\n".join(rt.validate(data))
        self.assertIn("same op, dtype, shape and implementation as rows[3]", problems)
        self.assertIn("implementation: expected one of", problems)
        self.assertIn(".skipped: expected null or the reason", problems)

    def test_timers_need_every_method_timed_or_skipped(self):
        data = fixture()
        del data["timers"][1]["skipped"]["ncu-gpu-time-duration"]
        data["timers"][0]["ms"]["nsys"] = 1.0
        problems = "\n".join(rt.validate(data))
        self.assertIn("timers[1]: ncu-gpu-time-duration: expected a time in ms or a skip reason", problems)
        self.assertIn("timers[0]: unknown timer method 'nsys'", problems)

    def test_load_names_the_file_and_the_json_error(self):
        tree = Tree()
        try:
            tree.write_results({})
            with open(tree.results, "w", encoding="utf-8") as f:
                f.write('{"schema_version": 1,\n  oops}')
            with self.assertRaises(rt.ResultsError) as e:
                rt.load_results(tree.results)
            self.assertIn(f"{tree.results}:2:", str(e.exception))
        finally:
            tree.remove()


class RenderTest(unittest.TestCase):
    def test_softmax_table(self):
        lines = rt.render(fixture(), "softmax")
        self.assertEqual(
            lines[0],
            "_Measured on Fixture GPU (not a measurement) (132 SMs; driver 580.00, CUDA 13.0, NVRTC 13.0), "
            "2026-01-31T12:00:00Z, timer kpg-writeback-charged: `kpg bench --out results.json`._")
        self.assertEqual(lines[2], "| shape | dtype | copy GB/s | kpg fused GB/s (% of copy) | "
                                   "kpg unfused GB/s (% of copy) | torch GB/s (% of copy) | triton GB/s (% of copy) |")
        self.assertEqual(lines[4], "| 4096x4096 | f32 | 2684 | 2552 (95.1 %) | 639 (23.8 %) | 2314 (86.2 %) | — |")
        self.assertEqual(lines[5], "| 1x65536 | f16 | 66 | 52 (80.0 %) | — | 33 (50.1 %) | — |")
        self.assertEqual(lines[-1], "Not run (—): triton: Triton not installed.")

    def test_attention_table(self):
        lines = rt.render(fixture(), "attention")
        self.assertEqual(lines[4], "| B4 H16 N4096 D128 causal | f16 | 366.5 | 94.8 | 339.4 | — |")
        self.assertIn("cuDNN (SDPA): cuDNN SDPA backend not available for this shape", lines[-1])

    def test_timers_table_against_kpgs_timer(self):
        lines = rt.render(fixture(), "timers")
        self.assertEqual(lines[4], "| softmax f32 4096x4096 | kpg fused | 0.0526 | 0.0431 (-18.1 %) | "
                                   "0.0581 (+10.5 %) | 0.0402 (-23.6 %) |")
        self.assertEqual(lines[5], "| softmax f32 4096x4096 | torch | 0.058 | 0.049 (-15.5 %) | 0.0642 (+10.7 %) | — |")
        self.assertEqual(lines[-1], "Not run (—): ncu gpu__time_duration: ncu not installed.")

    def test_a_table_without_rows_is_an_error(self):
        data = fixture()
        data["rows"] = [r for r in data["rows"] if r["op"] != "rmsnorm"]
        with self.assertRaises(rt.ResultsError):
            rt.render(data, "rmsnorm")


class DocumentsTest(unittest.TestCase):
    def setUp(self):
        self.tree = Tree(fixture())

    def tearDown(self):
        self.tree.remove()

    def test_regenerates_every_marked_table_and_then_checks_clean(self):
        t = self.tree
        t.write("README.md", "# kpg\n\n" + block("softmax") + "\ntext after\n")
        t.write("docs/GUIDE.md", "intro\n" + block("layernorm") + block("attention"))
        t.write("docs/design/timing.md", "design\n" + block("timers"))
        untouched = t.write("docs/OTHER.md", "no tables here\n")
        before = os.stat(untouched).st_mtime_ns
        code, out, err = t.run(check=True)
        self.assertEqual(code, 1, err)
        self.assertIn("README.md: table 'softmax' differs from docs/results/results.json", err)
        self.assertIn(os.path.join("docs", "GUIDE.md") + ": table 'layernorm' differs", err)
        self.assertIn(os.path.join("docs", "GUIDE.md") + ": table 'attention' differs", err)
        self.assertIn(os.path.join("docs", "design", "timing.md") + ": table 'timers' differs", err)
        self.assertEqual(t.run(check=False)[0], 0)
        readme = t.read("README.md")
        self.assertIn("| 4096x4096 | f32 | 2684 | 2552 (95.1 %) |", readme)
        self.assertTrue(readme.startswith("# kpg\n\n<!-- results-table: softmax -->\n_Measured on Fixture GPU"))
        self.assertTrue(readme.endswith("<!-- end results-table -->\n\ntext after\n"))
        self.assertIn("| softmax f32 4096x4096 | kpg fused | 0.0526 |", t.read("docs/design/timing.md"))
        self.assertEqual(os.stat(untouched).st_mtime_ns, before)
        code, out, err = t.run(check=True)
        self.assertEqual((code, err), (0, ""))

    def test_a_hand_edited_cell_fails_the_check(self):
        t = self.tree
        t.write("README.md", block("softmax"))
        t.run(check=False)
        t.write("README.md", t.read("README.md").replace("2552 (95.1 %)", "2752 (102.6 %)"))
        code, _, err = t.run(check=True)
        self.assertEqual(code, 1)
        self.assertEqual(err.strip(), "README.md: table 'softmax' differs from docs/results/results.json; "
                                      "run scripts/results_tables.py")

    def test_markers_in_code_fences_are_examples_not_tables(self):
        t = self.tree
        t.write("docs/design/results_file.md", "```\n" + block("softmax", "example\n") + "```\n")
        os.remove(t.results)
        code, out, _ = t.run(check=True)
        self.assertEqual(code, 0)
        self.assertIn("no results-table markers", out)

    def test_markers_without_a_results_file_fail(self):
        t = self.tree
        os.remove(t.results)
        t.write("docs/design/timing.md", block("timers"))
        code, _, err = t.run(check=True)
        self.assertEqual(code, 2)
        self.assertIn("no results file (docs/results/*.json)", err)
        self.assertIn(os.path.join("docs", "design", "timing.md"), err)

    def test_each_table_comes_from_the_file_that_measured_its_op(self):
        t = self.tree
        data = fixture()
        norms = dict(data, rows=[r for r in data["rows"] if r["op"] != "softmax"], timers=[])
        norms["run"] = dict(data["run"], command="bench/run.py --ops layernorm,rmsnorm -o docs/results/norms.json")
        t.write_results(dict(data, rows=[r for r in data["rows"] if r["op"] == "softmax"]))
        with open(os.path.join(t.root, "docs", "results", "norms.json"), "w", encoding="utf-8") as f:
            json.dump(norms, f)
        t.write("README.md", block("softmax") + block("layernorm") + block("timers"))
        code, out, _ = t.run(check=False)
        self.assertEqual(code, 0, out)
        readme = t.read("README.md")
        self.assertIn("`bench/run.py --ops layernorm,rmsnorm -o docs/results/norms.json`", readme)
        self.assertEqual(readme.count("`kpg bench --out results.json`"), 2)  # softmax and timers
        self.assertEqual(t.run(check=True)[0], 0)

    def test_an_op_measured_in_two_files_or_in_none_is_refused(self):
        t = self.tree
        with open(os.path.join(t.root, "docs", "results", "again.json"), "w", encoding="utf-8") as f:
            json.dump(fixture(), f)
        t.write("README.md", block("softmax"))
        code, _, err = t.run(check=True)
        self.assertEqual(code, 2)
        self.assertIn("table 'softmax': measured in more than one results file", err)
        os.remove(os.path.join(t.root, "docs", "results", "again.json"))
        data = fixture()
        t.write_results(dict(data, rows=[r for r in data["rows"] if r["op"] != "softmax"]))
        code, _, err = t.run(check=True)
        self.assertEqual(code, 2)
        self.assertIn("table 'softmax': no results file measured it (results.json)", err)

    def test_no_markers_and_no_results_file_pass(self):
        os.remove(self.tree.results)
        self.tree.write("README.md", "# kpg\n")
        self.assertEqual(self.tree.run(check=True)[0], 0)

    def test_a_defective_results_file_is_refused_even_without_markers(self):
        data = fixture()
        r = row(data, "layernorm", "kpg fused")
        r["median_ms"] = r["min_ms"] = r["median_ms"] / 1.2
        r["gbs"] = round(r["bytes"] / (r["median_ms"] * 1e6), 1)
        r["percent_of_copy"] = round(100 * r["gbs"] / r["copy_gbs"], 2)
        self.tree.write_results(data)
        code, _, err = self.tree.run(check=True)
        self.assertEqual(code, 2)
        self.assertIn("measurement defect", err)
        self.tree.write("README.md", block("layernorm"))
        code, _, err = self.tree.run(check=False)
        self.assertEqual(code, 2)
        self.assertIn("stale", self.tree.read("README.md"))  # nothing written

    def test_broken_markers_are_reported_with_their_line(self):
        t = self.tree
        t.write("README.md", "a\n<!-- results-table: softmax -->\nb\n")
        code, _, err = t.run(check=True)
        self.assertEqual(code, 2)
        self.assertIn("README.md:2: table 'softmax' has no '<!-- end results-table -->'", err)
        t.write("README.md", block("gemm"))
        self.assertIn("unknown table 'gemm'", t.run(check=True)[2])
        t.write("README.md", "<!-- results-table: softmax -->\n" + block("layernorm"))
        self.assertIn("starts inside table 'softmax'", t.run(check=True)[2])
        t.write("README.md", "<!-- end results-table -->\n")
        self.assertIn("README.md:1: end of a table that was not started", t.run(check=True)[2])

    def test_only_readme_and_docs_folders_are_read(self):
        t = self.tree
        os.makedirs(os.path.join(t.root, "notes"))
        t.write("notes/scratch.md", block("softmax"))
        t.write("CHANGES.md", block("softmax"))
        os.makedirs(os.path.join(t.root, "docs", "deeper", "still"))
        t.write("docs/deeper/still/x.md", block("softmax"))
        self.assertEqual(t.run(check=True)[0], 0)


class MainTest(unittest.TestCase):
    def test_command_line_defaults_to_the_repository(self):
        tree = Tree(fixture())
        try:
            tree.write("README.md", block("rmsnorm"))
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()) as err:
                self.assertEqual(rt.main(["--check", "--root", tree.root]), 1)
                self.assertEqual(rt.main(["--root", tree.root]), 0)
                self.assertEqual(rt.main(["--check", "--root", tree.root, "--results", tree.results]), 0)
            self.assertIn("README.md: table 'rmsnorm' differs", err.getvalue())
        finally:
            tree.remove()


if __name__ == "__main__":
    unittest.main()
