#!/usr/bin/env python3
"""Fails on measured-looking figures typed into the docs.

Every measured number in README.md, docs/*.md, docs/design/*.md and configs/README.md comes
from a generated block: a results table (`<!-- results-table: NAME -->`, scripts/results_tables.py,
from the results file) or a sample output (`<!-- sample-output: NAME -->`,
scripts/sample_outputs.py). Outside those blocks a line may not hold a figure that reads like
a measurement:
  - a rate: 2900 GB/s, 3 TB/s, 600 TFLOP/s, 12 GFLOP/s
  - a time: 0.05 ms, 20 us, 8 µs, 351 s, 4 min, 29 cycles
  - a speedup or ratio: 3.1x, 4×
  - a share of something measured: 92 % of copy, 61 % of peak, 9 % faster
  - a bare number in a Markdown table column whose header names such a unit (`fused GB/s`)
unless the same line says where the figure comes from, with one of the LABELS below:
`datasheet` (a vendor's published figure), `reported` (a figure a cited source published),
`counted` (arithmetic on the shape: bytes, flops, their ratio), `theory` / `not measured`
(the memory lesson's theory mode), `default` or `setting` (a value kpg is configured with,
not a result). A fenced block (quoted output of a run with a chosen setting, say) takes its
label from a comment on the line just before it: `<!-- label: setting -->`. Relations ("the
fused kernel is faster than the unfused chain") need no number at all.

Usage: check_doc_numbers.py [--root DIR] [FILE ...]
Exit 0 when clean, 1 listing each offending file:line, figure and line, 2 for broken
markers. Python 3 stdlib only.
"""
import argparse
import os
import re
import sys

import doc_markers

NUMBER = r"(?<![\w.])\d[\d,]*(?:\.\d+)?"
FIGURES = [
    ("rate", re.compile(NUMBER + r"\s*(?:[GMT]i?B/s|[GT]FLOP/s|[GT]FLOPS|[GT]flop/s)")),
    ("time", re.compile(NUMBER + r"\s*(?:ms|us|µs|μs|ns|s|sec|seconds?|min|minutes?|cycles?)(?![\w/])")),
    ("ratio", re.compile(NUMBER + r"[x×](?![\w.])")),  # 3.1x, 4× (not 100 × n, 4096×781, 0xFF)
    # 92 % of copy (not 100 %: the whole, as in "no kernel is above 100 % of a copy")
    ("share", re.compile(r"(?<![\w.])(?!100\s*%)\d[\d,]*(?:\.\d+)?\s*%\s*(?:of\b|faster|slower|above|below|ahead|behind)")),
]
# A Markdown table column whose header names a measured unit: its bare numbers are figures too.
UNIT_HEADER = re.compile(r"[GMT]i?B/s|[GT]FLOP/s|\bms\b|\bus\b|µs|speedup|% of", re.IGNORECASE)
TABLE_ROW = re.compile(r"^\s*\|")
TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}")
BARE_NUMBER = re.compile(r"^\s*\d[\d,]*(?:\.\d+)?\s*[x×%]?\s*(?:\(.*\))?\s*$")
LABELS = re.compile(r"datasheet|counted|theory|not measured|\bdefault|\bsetting|\breported\b", re.IGNORECASE)
# A whole fenced block (quoted output, say) is labelled by a comment on the line before it.
BLOCK_LABEL = re.compile(r"^<!-- label: (.*) -->\s*$")
FENCE = doc_markers.FENCE


def configs_readme(root):
    path = os.path.join(root, "configs", "README.md")
    return [path] if os.path.isfile(path) else []


def cells(line):
    return [c.strip() for c in line.strip().strip("|").split("|")]


def generated_lines(lines, path):
    """Indices of the lines of generated blocks, their markers included."""
    out = set()
    for kind in ("results-table", "sample-output"):
        for _, start, end in doc_markers.find_blocks(lines, path, kind, kind, None):
            out.update(range(start - 1, end + 1))
    return out


def figures_in(text, path="<text>"):
    """[(line number, kind, figure, line)] of the unlabelled measured-looking figures."""
    hits, fenced, labelled, previous = [], False, False, ""
    lines = text.split("\n")
    generated = generated_lines(lines, path)
    unit_columns = set()  # of the Markdown table being read
    for number, line in enumerate(lines, 1):
        if not TABLE_ROW.match(line):
            unit_columns = set()
        elif number < len(lines) and TABLE_RULE.match(lines[number]):  # a header row
            unit_columns = {i for i, c in enumerate(cells(line)) if UNIT_HEADER.search(c) and not LABELS.search(c)}
        if FENCE.match(line):
            fenced = not fenced
            labelled = fenced and bool(BLOCK_LABEL.match(previous)) and bool(LABELS.search(previous))
        previous = line
        if labelled:
            continue
        if number - 1 in generated or LABELS.search(line):
            continue
        for kind, pattern in FIGURES:
            for m in pattern.finditer(line):
                hits.append((number, kind, m.group(0), line.strip()))
        if unit_columns and not fenced and not TABLE_RULE.match(line):
            row = cells(line)
            for i in sorted(unit_columns):
                if i < len(row) and BARE_NUMBER.match(row[i]) and not any(row[i] in h[2] for h in hits if h[0] == number):
                    hits.append((number, "table figure", row[i], line.strip()))
    return hits


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*",
                        help="markdown files (default: README.md, configs/README.md, docs/*.md, docs/design/*.md)")
    parser.add_argument("--root", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    args = parser.parse_args(argv)
    root = os.path.abspath(args.root)
    files = [os.path.abspath(f) for f in args.files] or doc_markers.doc_files(root) + configs_readme(root)
    count = 0
    for path in files:
        with open(path, encoding="utf-8") as f:
            try:
                hits = figures_in(f.read(), os.path.relpath(path, root))
            except doc_markers.MarkerError as e:
                print(f"check_doc_numbers: {e}", file=sys.stderr)
                return 2
        for number, kind, figure, line in hits:
            count += 1
            print(f"{os.path.relpath(path, root)}:{number}: typed {kind} '{figure}' outside a generated block: {line}")
    if count:
        print(f"check_doc_numbers: {count} typed figure(s). Put measured numbers in a generated table "
              f"(scripts/results_tables.py) or sample (scripts/sample_outputs.py), state a relation instead, "
              f"or label a datasheet, counted or default figure as such on its line.", file=sys.stderr)
        return 1
    print(f"check_doc_numbers: {len(files)} file(s), no typed measurement")
    return 0


if __name__ == "__main__":
    sys.exit(main())
