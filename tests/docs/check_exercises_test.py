#!/usr/bin/env python3
"""Tests of scripts/check_exercises.py on small markdown files and a fake kpg (a shell
script), so that they need no build: each case shows the checker passing what holds and
failing what does not."""
import io
import os
import subprocess
import sys
import tempfile
import textwrap
import unittest
from contextlib import redirect_stderr, redirect_stdout

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(REPO, "scripts"))
import check_exercises  # noqa: E402

# The fake kpg: `kpg say TEXT...` prints TEXT; `kpg exit N` exits N; `kpg pwd-has FILE`
# says whether FILE exists in the current folder (the copy of the repository).
FAKE_KPG = """#!/usr/bin/env bash
case "$1" in
  say) shift; echo "$@" ;;
  exit) echo "exiting $2"; exit "$2" ;;
  env) echo "kernels=$KPG_KERNELS_DIR configs=$KPG_CONFIGS_DIR cache=$KPG_CACHE_DIR" ;;
  *) echo "fake kpg: unknown $1" >&2; exit 2 ;;
esac
"""


class CheckExercisesTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.kpg = os.path.join(self.dir.name, "kpg")
        with open(self.kpg, "w") as f:
            f.write(FAKE_KPG)
        os.chmod(self.kpg, 0o755)

    def tearDown(self):
        self.dir.cleanup()

    def run_checker(self, markdown, *extra):
        path = os.path.join(self.dir.name, "doc.md")
        with open(path, "w") as f:
            f.write(textwrap.dedent(markdown))
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            code = check_exercises.main(["--kpg", self.kpg, *extra, path])
        return code, out.getvalue() + err.getvalue()

    def test_outcome_as_stated_passes(self):
        code, out = self.run_checker("""
            ```bash exercise hello
            kpg say regs 42 spills 0/0
            kpg say second 7
            ```
            ```text expect hello
            contains: regs 42
            lacks: error
            matches: ^second \\d+$
            first regs: regs (\\d+)
            last second: second (\\d+)
            count lines: ^(regs|second)
            check: regs > second
            check: lines == 2
            check: second <= 7
            ```
            """)
        self.assertEqual(code, 0, out)
        self.assertIn("ok   hello", out)
        self.assertIn("1 passed, 0 failed", out)

    def test_unmet_expectations_fail_and_are_named(self):
        code, out = self.run_checker("""
            ```bash exercise wrong
            kpg say regs 42
            ```
            ```text expect wrong
            contains: regs 43
            lacks: regs
            matches: ^spills
            first regs: regs (\\d+)
            check: regs < 10
            ```
            """)
        self.assertEqual(code, 1, out)
        self.assertIn("FAIL wrong", out)
        self.assertIn("does not contain 'regs 43'", out)
        self.assertIn("contains 'regs'", out)
        self.assertIn("no line matches /^spills/", out)
        self.assertIn("regs < 10 does not hold (regs = 42, 10 = 10)", out)

    def test_exit_markers(self):
        ok = """
            ```bash exercise marked
            kpg exit 2  # exits 2
            kpg say after
            ```
            ```text expect marked
            contains: after
            ```
            """
        self.assertEqual(self.run_checker(ok)[0], 0)
        code, out = self.run_checker(ok.replace("# exits 2", "# exits 3"))
        self.assertEqual(code, 1, out)
        self.assertIn("exit 2, expected 3", out)

    def test_an_unmarked_failing_command_fails_the_exercise(self):
        code, out = self.run_checker("""
            ```bash exercise failing
            kpg exit 1
            kpg say never
            ```
            ```text expect failing
            lacks: never
            ```
            """)
        self.assertEqual(code, 1, out)
        self.assertIn("the commands exited 1", out)

    def test_runs_in_a_copy_and_leaves_the_tree_alone(self):
        readme = os.path.join(REPO, "README.md")
        with open(readme, "rb") as f:
            before = f.read()
        code, out = self.run_checker("""
            ```bash exercise copy
            test -f kernels_src/kpg_common.cuh && test -f configs/softmax.yaml
            echo "edited by an exercise" >> README.md
            tail -n 1 README.md
            kpg env
            ```
            ```text expect copy
            contains: edited by an exercise
            matches: kernels=\\S+/kernels_src configs=\\S+/configs cache=\\S+
            lacks: kernels=""" + os.path.join(REPO, "kernels_src") + """
            ```
            """)
        self.assertEqual(code, 0, out)
        with open(readme, "rb") as f:
            self.assertEqual(f.read(), before)

    def test_gpu_exercises_run_only_with_gpu(self):
        doc = """
            ```bash exercise on-gpu gpu
            kpg say gpu
            ```
            ```text expect on-gpu
            contains: gpu
            ```
            ```bash exercise on-cpu
            kpg say cpu
            ```
            ```text expect on-cpu
            contains: cpu
            ```
            """
        code, out = self.run_checker(doc)
        self.assertEqual(code, 0, out)
        self.assertIn("1 passed, 0 failed, 1 skipped", out)
        code, out = self.run_checker(doc, "--gpu")
        self.assertIn("2 passed, 0 failed, 0 skipped", out)

    def test_malformed_exercises_are_refused(self):
        cases = {
            "an expect block without commands": """
                ```text expect lonely
                contains: x
                ```
                """,
            "no expect block": """
                ```bash exercise lonely
                kpg say x
                ```
                """,
            "expected 'contains:'": """
                ```bash exercise bad
                kpg say x
                ```
                ```text expect bad
                holds: x
                ```
                """,
            "neither a number nor a name": """
                ```bash exercise bad
                kpg say x
                ```
                ```text expect bad
                check: nothing > 1
                ```
                """,
            "needs a regex with a group": """
                ```bash exercise bad
                kpg say x
                ```
                ```text expect bad
                first n: \\d+
                ```
                """,
            "unknown exercise flag": """
                ```bash exercise bad cpu
                kpg say x
                ```
                ```text expect bad
                contains: x
                ```
                """,
        }
        for why, doc in cases.items():
            code, out = self.run_checker(doc)
            self.assertEqual(code, 2, f"{why}: {out}")
            self.assertIn("doc.md:", out, why)

    def test_the_shipped_exercises_parse(self):
        exercises = check_exercises.parse(os.path.join(REPO, "docs", "EXERCISES.md"), "docs/EXERCISES.md")
        cpu = [e for e in exercises if not e.gpu]
        gpu = [e for e in exercises if e.gpu]
        self.assertGreaterEqual(len(exercises), 10)
        self.assertGreaterEqual(len(cpu), len(exercises) / 2)
        self.assertTrue(gpu)
        # Every GPU outcome that is a measurement is a relation: no check compares a
        # measured value with a typed time.
        for e in exercises:
            for kind, text, where in e.expect:
                self.assertNotRegex(text, r"\d\s*(ms|us|GB/s|TFLOP/s)\b", where)


if __name__ == "__main__":
    unittest.main()
