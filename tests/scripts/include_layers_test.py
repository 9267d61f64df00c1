#!/usr/bin/env python3
"""Tests of scripts/include_layers.py on small made-up trees: a cycle of units and an include
pointing up the layers fail the check, a clean tree and same-rank folders pass, the accepted
cycles stay accepted, and --graph prints a folder's units."""
import contextlib
import io
import os
import shutil
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(REPO, "scripts"))

import include_layers  # noqa: E402


class IncludeLayers(unittest.TestCase):
    def tree(self, files):
        root = tempfile.mkdtemp(prefix="kpg-include-layers-")
        self.addCleanup(shutil.rmtree, root)
        for path, text in files.items():
            full = os.path.join(root, path)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "w", encoding="utf-8") as f:
                f.write(text)
        return root

    def check(self, files):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            status = include_layers.check(self.tree(files))
        return status, out.getvalue()

    def test_a_clean_tree_passes(self):
        status, out = self.check({
            "runtime/error.hpp": "#pragma once\n",
            "tuner/space.hpp": '#include "runtime/error.hpp"\n#include <vector>\n',
            "tuner/space.cpp": '#include "tuner/space.hpp"\n',
            "cli/main.cpp": '#include "tuner/space.hpp"\n#include "runtime/error.hpp"\n',
        })
        self.assertEqual(status, 0, out)
        self.assertIn("no cycle", out)

    def test_a_cycle_through_a_source_file_fails(self):
        # config.cpp uses space.hpp, which includes config.hpp: the units config and space.
        status, out = self.check({
            "tuner/config.hpp": "#pragma once\n",
            "tuner/config.cpp": '#include "tuner/config.hpp"\n#include "tuner/space.hpp"\n',
            "tuner/space.hpp": '#include "tuner/config.hpp"\n',
        })
        self.assertEqual(status, 1, out)
        self.assertIn("circular include: tuner/config -> tuner/space -> tuner/config", out)

    def test_an_include_up_the_layers_fails(self):
        status, out = self.check({
            "tutorials/report/table.hpp": "#pragma once\n",
            "cli/tune.cpp": '#include "tutorials/report/table.hpp"\n',
            "tuner/tuner.cpp": '#include "tutorials/report/table.hpp"\n',
            "report/html.cpp": '#include "tutorials/report/table.hpp"\n',
        })
        self.assertEqual(status, 1, out)
        self.assertIn("tuner/tuner.cpp includes tutorials/report/table.hpp", out)
        self.assertIn("report/html.cpp includes tutorials/report/table.hpp", out)
        self.assertNotIn("cli/tune.cpp", out, "cli may use tutorials")

    def test_folders_of_one_rank_may_use_each_other_and_unranked_ones_are_free(self):
        status, out = self.check({
            "report/table.hpp": "#pragma once\n",
            "profiling/dram.cpp": '#include "report/table.hpp"\n',
            "tests/tuner/t.cpp": '#include "cli/x.hpp"\n',
            "cli/x.hpp": "#pragma once\n",
        })
        self.assertEqual(status, 0, out)

    def test_the_accepted_cycle_stays_accepted(self):
        status, out = self.check({
            "runtime/error.cpp": '#include "runtime/driver.hpp"\n',
            "runtime/error.hpp": "#pragma once\n",
            "runtime/driver.cpp": '#include "runtime/error.hpp"\n',
            "runtime/driver.hpp": "#pragma once\n",
        })
        self.assertEqual(status, 0, out)

    def test_graph_prints_a_folders_units(self):
        root = self.tree({
            "tuner/a.hpp": '#include "tuner/b.hpp"\n',
            "tuner/b.hpp": "#pragma once\n",
            "tuner/b.cpp": '#include "tuner/b.hpp"\n#include "runtime/x.hpp"\n',
            "runtime/x.hpp": "#pragma once\n",
        })
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            include_layers.print_graph(root, ["tuner"])
        self.assertEqual(out.getvalue().splitlines(),
                         ["tuner/a -> tuner/b", "tuner/b -> runtime/x"])


if __name__ == "__main__":
    unittest.main()
