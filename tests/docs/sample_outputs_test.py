#!/usr/bin/env python3
"""Tests of scripts/sample_outputs.py on a small document tree and a fake kpg (a shell
script): markers, regeneration, the drift check of exact samples, GPU samples written
without a GPU, and the paths shown."""
import io
import os
import sys
import tempfile
import textwrap
import unittest
from contextlib import redirect_stderr, redirect_stdout

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(REPO, "scripts"))
import sample_outputs  # noqa: E402

# No GPU: doctor lists no device, GPU commands fail the way kpg does without a driver.
FAKE_KPG = """#!/usr/bin/env bash
case "$1" in
  doctor) echo "kpg fake"; echo "  kernels dir $KPG_KERNELS_DIR"; echo "  cache dir $KPG_CACHE_DIR"; echo "  in $PWD" ;;
  compile) echo "compiled in 1.0 ms" ;;
  *) echo "kpg: no CUDA driver: libcuda.so.1 not found" >&2; exit 1 ;;
esac
"""


class SampleOutputsTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.root = self.dir.name
        os.makedirs(os.path.join(self.root, "docs"))
        self.kpg = os.path.join(self.root, "kpg")
        with open(self.kpg, "w") as f:
            f.write(FAKE_KPG)
        os.chmod(self.kpg, 0o755)
        self.doc = os.path.join(self.root, "docs", "guide.md")

    def tearDown(self):
        self.dir.cleanup()

    def write(self, text):
        with open(self.doc, "w") as f:
            f.write(textwrap.dedent(text))

    def read(self):
        with open(self.doc) as f:
            return f.read()

    def run_main(self, *args):
        out = io.StringIO()
        with redirect_stdout(out), redirect_stderr(out):
            code = sample_outputs.main(["--kpg", self.kpg, "--root", self.root, *args])
        return code, out.getvalue()

    def test_regenerates_and_checks_an_exact_sample(self):
        self.write("""
            before
            <!-- sample-output: online-softmax -->
            stale
            <!-- end sample-output -->
            after
            """)
        code, out = self.run_main("--check")
        self.assertEqual(code, 1, out)
        self.assertIn("sample 'online-softmax' differs", out)
        self.assertIn("stale", self.read())  # --check changes nothing

        self.assertEqual(self.run_main()[0], 0)
        text = self.read()
        self.assertNotIn("stale", text)
        self.assertIn("$ scripts/online_softmax_trace.py", text)
        self.assertIn("merged: m = max(m1, m2)", text)
        self.assertTrue(text.strip().startswith("before") and text.strip().endswith("after"))
        code, out = self.run_main("--check")
        self.assertEqual(code, 0, out)

    def test_a_gpu_sample_without_a_gpu(self):
        self.write("""
            <!-- sample-output: run -->
            <!-- end sample-output -->
            """)
        self.assertEqual(self.run_main()[0], 0)
        text = self.read()
        self.assertIn("$ kpg run softmax", text)
        self.assertIn("kpg: no CUDA driver", text)
        self.assertIn("Written on a machine without a GPU", text)
        code, out = self.run_main("--gpu")
        self.assertEqual(code, 1)
        self.assertIn("finds no GPU", out)

    def test_paths_are_shown_as_a_user_would_have_them(self):
        self.write("""
            <!-- sample-output: doctor -->
            <!-- end sample-output -->
            """)
        self.assertEqual(self.run_main()[0], 0)
        text = self.read()
        self.assertIn("kernels dir ~/kpg/kernels_src", text)
        self.assertIn("cache dir ~/.cache/kpg", text)
        self.assertIn("in ~/work", text)
        self.assertNotIn(REPO, text)
        self.assertNotIn(tempfile.gettempdir() + "/kpg-samples", text)

    def test_bad_markers_are_refused(self):
        for why, text in {
            "unknown sample": "<!-- sample-output: nosuch -->\n<!-- end sample-output -->\n",
            "has no '<!-- end sample-output -->'": "<!-- sample-output: doctor -->\ntext\n",
            "starts inside": ("<!-- sample-output: doctor -->\n<!-- sample-output: compile -->\n"
                              "<!-- end sample-output -->\n"),
            "that was not started": "<!-- end sample-output -->\n",
        }.items():
            self.write(text)
            code, out = self.run_main("--check")
            self.assertEqual(code, 2, why)
            self.assertIn(why, out)

    def test_markers_inside_a_fenced_block_are_examples(self):
        self.write("""
            ```
            <!-- sample-output: nosuch -->
            ```
            """)
        self.assertEqual(self.run_main("--check")[0], 0)


if __name__ == "__main__":
    unittest.main()
