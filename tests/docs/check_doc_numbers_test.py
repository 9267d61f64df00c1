#!/usr/bin/env python3
"""Tests of scripts/check_doc_numbers.py: what it flags, what a label or a generated block
lets through, and its exit codes."""
import io
import os
import sys
import tempfile
import textwrap
import unittest
from contextlib import redirect_stderr, redirect_stdout

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(REPO, "scripts"))
import check_doc_numbers  # noqa: E402


def figures(text):
    return [(kind, figure) for _, kind, figure, _ in check_doc_numbers.figures_in(textwrap.dedent(text))]


class FiguresTest(unittest.TestCase):
    def test_measured_looking_figures_are_flagged(self):
        self.assertEqual(figures("The fused kernel reached 2709 GB/s."), [("rate", "2709 GB/s")])
        self.assertEqual(figures("flash attention at 607 TFLOP/s"), [("rate", "607 TFLOP/s")])
        self.assertEqual(figures("a launch costs 3.15 µs, the lesson 351 s"), [("time", "3.15 µs"), ("time", "351 s")])
        self.assertEqual(figures("0.0495 ms per call, 29 cycles"), [("time", "0.0495 ms"), ("time", "29 cycles")])
        self.assertEqual(figures("a 3.08x speedup, 4× faster"), [("ratio", "3.08x"), ("ratio", "4×")])
        self.assertEqual(figures("at 92.2 % of copy and 9 % faster"), [("share", "92.2 % of"), ("share", "9 % faster")])

    def test_arithmetic_shapes_and_names_are_not_figures(self):
        for line in ["a 4096×781 tensor", "16x16 tiles", "0xFF bytes", "100 × gbs / copy_gbs",
                     "no kernel is above 100 % of its copy", "graph_below_us: 10", "rep_ms 50",
                     "132 SMs", "64 KB slices", "4·B·H·N²·D flops", "10 samples"]:
            self.assertEqual(figures(line), [], line)

    def test_a_label_on_the_line_lets_a_figure_through(self):
        self.assertEqual(figures("3350 GB/s (datasheet)"), [])
        self.assertEqual(figures("3× fewer bytes (counted)"), [])
        self.assertEqual(figures("reported up to 740 TFLOP/s [3]"), [])
        self.assertEqual(figures("fuzz for 60 s (a setting)"), [])
        self.assertEqual(figures("a 30 s watchdog by default"), [])
        # ... but only on its own line.
        self.assertEqual(figures("3350 GB/s\n(datasheet)"), [("rate", "3350 GB/s")])

    def test_generated_blocks_are_skipped(self):
        text = """
            <!-- results-table: softmax -->
            | shape | kpg fused GB/s |
            |---|---|
            | 4096x4096 | 2551 (95.1 %) |
            <!-- end results-table -->
            <!-- sample-output: tune -->
            ```text
            compiled in 88.6 ms
            ```
            <!-- end sample-output -->
            after the blocks: 12 ms
            """
        self.assertEqual(figures(text), [("time", "12 ms")])

    def test_a_fenced_block_takes_the_label_before_it(self):
        text = """
            <!-- label: setting -->
            ```text
            HANG: no result after 4 s
            ```
            ```text
            HANG: no result after 4 s
            ```
            """
        self.assertEqual(figures(text), [("time", "4 s")])

    def test_bare_numbers_under_a_unit_header(self):
        text = """
            | op | unfused ms | fused GB/s | ratio (counted) | note |
            |---|---|---|---|---|
            | softmax | 0.1527 | 2709 | 3 | 17 |
            """
        self.assertEqual(figures(text), [("table figure", "0.1527"), ("table figure", "2709")])


class CommandTest(unittest.TestCase):
    def run_main(self, files):
        out = io.StringIO()
        with redirect_stdout(out), redirect_stderr(out):
            code = check_doc_numbers.main(files)
        return code, out.getvalue()

    def test_exit_codes_and_report(self):
        with tempfile.TemporaryDirectory() as d:
            clean, dirty = os.path.join(d, "clean.md"), os.path.join(d, "dirty.md")
            with open(clean, "w") as f:
                f.write("The fused kernel is faster than the unfused chain.\n")
            with open(dirty, "w") as f:
                f.write("line one\nThe fused kernel is 3.1x faster.\n")
            self.assertEqual(self.run_main([clean])[0], 0)
            code, out = self.run_main([clean, dirty])
            self.assertEqual(code, 1)
            self.assertIn("dirty.md:2: typed ratio '3.1x'", out)


if __name__ == "__main__":
    unittest.main()
