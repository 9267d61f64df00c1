#!/usr/bin/env python3
"""Regenerates the results tables of README.md, docs/*.md and docs/design/*.md from the
results files of benchmark runs (docs/design/results_file.md describes both).

A table lives between two markers, outside fenced code blocks:
    <!-- results-table: NAME -->
    ...generated: a caption line, then a Markdown table...
    <!-- end results-table -->
NAME is one of: softmax, layernorm, rmsnorm, attention, timers.

Usage:
    results_tables.py [--results FILE ...] [--root DIR]          rewrite every table
    results_tables.py --check [--results FILE ...] [--root DIR]  exit 1 naming each file and
                                                                 table that differs, 2 for a
                                                                 bad results file
The results files default to every docs/results/*.json under the root (the repository).
Each table comes from the one file that measured its op (timers: the one file with a
timers section), so a run of some ops (`bench/run.py --ops ...`) refreshes their tables
alone; two files measuring the same op are refused.
A results file is refused (exit 2) when it breaks the schema or when a memory-bound row is
above 100 % of its same-bytes copy: such a figure is a measurement defect, not a result.
Python 3 standard library only.
"""
import argparse
import datetime
import json
import math
import os
import re
import sys

import doc_markers

SCHEMA_VERSION = 1
RESULTS_DIR = os.path.join("docs", "results")
TABLES = ("softmax", "layernorm", "rmsnorm", "attention", "timers")
MEMORY_TABLES = ("softmax", "layernorm", "rmsnorm")
DTYPES = ("f32", "f16", "bf16")
# In the order the tables show them.
IMPLEMENTATIONS = ("kpg fused", "kpg unfused", "torch", "triton", "flash-attention-2 (SDPA)", "cuDNN (SDPA)", "copy")
TIMER_METHODS = (
    ("kpg-writeback-charged", "kpg timer ms"),
    ("kpg-launch-only", "kpg, write-back not charged, ms"),
    ("triton-do-bench", "triton.testing.do_bench ms"),
    ("ncu-gpu-time-duration", "ncu gpu__time_duration ms"),
)
# gbs = bytes / median, percent_of_copy = 100 gbs / copy_gbs: both rounded in the file.
RELATIVE_TOLERANCE = 0.005


class ResultsError(Exception):
    """The results file is unusable; the message names the file and the field."""


# ---------------------------------------------------------------- reading and checking


def load_results(path):
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except FileNotFoundError:
        raise ResultsError(f"{path}: no such results file")
    except json.JSONDecodeError as e:
        raise ResultsError(f"{path}:{e.lineno}:{e.colno}: not JSON: {e.msg}")
    problems = validate(data)
    if problems:
        raise ResultsError("\n".join(f"{path}: {p}" for p in problems))
    return data


def _is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _close(a, b):
    return abs(a - b) <= RELATIVE_TOLERANCE * max(abs(a), abs(b))


def validate(data):
    """Every problem of a results file, one line each ("rows[3].gbs: ..."); empty if none."""
    problems = []
    if not isinstance(data, dict):
        return ["expected a JSON object at the top"]
    if data.get("schema_version") != SCHEMA_VERSION:
        problems.append(f"schema_version: expected {SCHEMA_VERSION}, got {data.get('schema_version')!r}")
    problems += _validate_run(data.get("run"))
    rows = data.get("rows")
    if not isinstance(rows, list):
        problems.append("rows: expected a list")
        rows = []
    seen = {}
    for i, row in enumerate(rows):
        problems += _validate_row(f"rows[{i}]", row)
        if isinstance(row, dict):
            key = (row.get("op"), row.get("dtype"), json.dumps(row.get("shape"), sort_keys=True), row.get("implementation"))
            if key in seen:
                problems.append(f"rows[{i}]: same op, dtype, shape and implementation as rows[{seen[key]}]")
            seen.setdefault(key, i)
    timers = data.get("timers", [])
    if not isinstance(timers, list):
        problems.append("timers: expected a list")
        timers = []
    for i, entry in enumerate(timers):
        problems += _validate_timer(f"timers[{i}]", entry)
    return problems


def _validate_run(run):
    if not isinstance(run, dict):
        return ["run: expected an object"]
    problems = []
    for key in ("card", "driver", "cuda", "nvrtc", "kpg", "date", "command", "timer"):
        if not isinstance(run.get(key), str) or not run.get(key):
            problems.append(f"run.{key}: expected a non-empty string")
    if not _is_int(run.get("sm_count")) or run.get("sm_count") <= 0:
        problems.append("run.sm_count: expected a positive integer")
    for key in ("torch", "triton"):
        if key not in run or not (run[key] is None or isinstance(run[key], str)):
            problems.append(f"run.{key}: expected a version string, or null when not installed")
    date = run.get("date")
    if isinstance(date, str):
        try:
            parsed = datetime.datetime.fromisoformat(date.replace("Z", "+00:00"))
            if not date.endswith("Z") or parsed.utcoffset() != datetime.timedelta(0):
                raise ValueError
        except ValueError:
            problems.append(f"run.date: expected UTC ISO 8601 like 2026-01-31T12:00:00Z, got {date!r}")
    return problems


def _validate_shape(where, op, shape):
    if not isinstance(shape, dict) or not shape:
        return [f"{where}.shape: expected an object of dims"]
    wanted = ("B", "H", "N", "D", "causal") if op == "attention" else ("M", "N")
    if tuple(sorted(shape)) != tuple(sorted(wanted)):
        return [f"{where}.shape: expected the keys {', '.join(wanted)}, got {', '.join(shape)}"]
    problems = []
    for k, v in shape.items():
        if k == "causal":
            if not isinstance(v, bool):
                problems.append(f"{where}.shape.causal: expected true or false")
        elif not _is_int(v) or v <= 0:
            problems.append(f"{where}.shape.{k}: expected a positive integer")
    return problems


def _validate_kernel(where, entry):
    """The fields that name a kernel: op, dtype, shape, implementation."""
    problems = []
    op = entry.get("op")
    if not isinstance(op, str) or not op:
        problems.append(f"{where}.op: expected a non-empty string")
    if entry.get("dtype") not in DTYPES:
        problems.append(f"{where}.dtype: expected one of {', '.join(DTYPES)}, got {entry.get('dtype')!r}")
    problems += _validate_shape(where, op, entry.get("shape"))
    impl = entry.get("implementation")
    if impl not in IMPLEMENTATIONS:
        problems.append(f"{where}.implementation: expected one of {', '.join(IMPLEMENTATIONS)}, got {impl!r}")
    return problems


def _validate_row(where, row):
    if not isinstance(row, dict):
        return [f"{where}: expected an object"]
    problems = _validate_kernel(where, row)
    impl = row.get("implementation")
    bound = row.get("bound")
    if bound not in ("memory", "compute"):
        problems.append(f"{where}.bound: expected memory or compute, got {bound!r}")
    skipped = row.get("skipped")
    if skipped is not None:
        if not isinstance(skipped, str) or not skipped.strip():
            problems.append(f"{where}.skipped: expected null or the reason the row could not run")
        return problems
    if isinstance(impl, str) and impl.startswith("kpg") and not (isinstance(row.get("config"), str) and row["config"]):
        problems.append(f"{where}.config: expected the kpg config id")
    for key in ("median_ms", "min_ms", "gbs"):
        if not _is_number(row.get(key)) or row[key] <= 0:
            problems.append(f"{where}.{key}: expected a positive number")
    for key in ("spread_pct", "flops"):
        if not _is_number(row.get(key)) or row[key] < 0:
            problems.append(f"{where}.{key}: expected a number >= 0")
    for key in ("reps", "bytes"):
        if not _is_int(row.get(key)) or row[key] <= 0:
            problems.append(f"{where}.{key}: expected a positive integer")
    if problems:
        return problems
    if row["min_ms"] > row["median_ms"]:
        problems.append(f"{where}.min_ms: {row['min_ms']} is above median_ms {row['median_ms']}")
    if not _close(row["gbs"], row["bytes"] / (row["median_ms"] * 1e6)):
        problems.append(f"{where}.gbs: {row['gbs']} is not bytes / median time "
                        f"({row['bytes'] / (row['median_ms'] * 1e6):.1f})")
    if bound == "compute":
        if not _is_number(row.get("tflops")) or row["tflops"] <= 0:
            problems.append(f"{where}.tflops: expected a positive number for a compute-bound row")
        elif row["flops"] > 0 and not _close(row["tflops"], row["flops"] / (row["median_ms"] * 1e9)):
            problems.append(f"{where}.tflops: {row['tflops']} is not flops / median time")
    if bound == "memory":
        copy, percent = row.get("copy_gbs"), row.get("percent_of_copy")
        if not _is_number(copy) or copy <= 0:
            problems.append(f"{where}.copy_gbs: expected the same-bytes copy's GB/s for a memory-bound row")
        elif not _is_number(percent):
            problems.append(f"{where}.percent_of_copy: expected a number for a memory-bound row")
        elif not _close(percent, 100 * row["gbs"] / copy):
            problems.append(f"{where}.percent_of_copy: {percent} is not 100 x gbs / copy_gbs "
                            f"({100 * row['gbs'] / copy:.1f})")
        elif percent > 100 and impl != "copy":
            problems.append(f"{where}: {row.get('op')} {row.get('dtype')} {shape_text(row['shape'])} {impl} is at "
                            f"{percent:.1f} % of its same-bytes copy: above 100 % is a measurement defect, "
                            f"not a result")
    return problems


def _validate_timer(where, entry):
    if not isinstance(entry, dict):
        return [f"{where}: expected an object"]
    problems = _validate_kernel(where, entry)
    ms, skipped = entry.get("ms"), entry.get("skipped", {})
    if not isinstance(ms, dict) or not isinstance(skipped, dict):
        return problems + [f"{where}.ms and .skipped: expected objects keyed by timer method"]
    methods = [m for m, _ in TIMER_METHODS]
    for key in list(ms) + list(skipped):
        if key not in methods:
            problems.append(f"{where}: unknown timer method {key!r}; known: {', '.join(methods)}")
    for m in methods:
        if m in ms and m in skipped:
            problems.append(f"{where}: {m} has both a time and a skip reason")
        elif m in ms and (not _is_number(ms[m]) or ms[m] <= 0):
            problems.append(f"{where}.ms.{m}: expected a positive number")
        elif m in skipped and (not isinstance(skipped[m], str) or not skipped[m].strip()):
            problems.append(f"{where}.skipped.{m}: expected the reason")
        elif m not in ms and m not in skipped:
            problems.append(f"{where}: {m}: expected a time in ms or a skip reason")
    return problems


# ---------------------------------------------------------------- rendering


def shape_text(shape):
    if "M" in shape:
        return f"{shape['M']}x{shape['N']}"
    causal = "causal" if shape.get("causal") else "non-causal"
    return f"B{shape['B']} H{shape['H']} N{shape['N']} D{shape['D']} {causal}"


def caption(run):
    return (f"_Measured on {run['card']} ({run['sm_count']} SMs; driver {run['driver']}, CUDA {run['cuda']}, "
            f"NVRTC {run['nvrtc']}), {run['date']}, timer {run['timer']}: `{run['command']}`._")


def _table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return lines


def _groups(rows):
    """(dtype, shape) keys in the file's order, with each key's rows by implementation."""
    order, by_key = [], {}
    for r in rows:
        key = (r["dtype"], json.dumps(r["shape"], sort_keys=True))
        if key not in by_key:
            order.append(key)
            by_key[key] = {}
        by_key[key][r["implementation"]] = r
    return [(key, by_key[key]) for key in order]


def _skip_notes(rows, implementations):
    notes = []
    for impl in implementations:
        reasons = sorted({r["skipped"] for r in rows if r["implementation"] == impl and r.get("skipped")})
        if reasons:
            notes.append(f"{impl}: {'; '.join(reasons)}")
    return ["", "Not run (—): " + " · ".join(notes) + "."] if notes else []


def render_memory_table(data, op):
    rows = [r for r in data["rows"] if r["op"] == op]
    if not rows:
        raise ResultsError(f"the results file has no {op} rows")
    impls = [i for i in IMPLEMENTATIONS if i != "copy" and any(r["implementation"] == i for r in rows)]
    header = ["shape", "dtype", "copy GB/s"] + [f"{i} GB/s (% of copy)" for i in impls]
    body = []
    for (dtype, shape_key), by_impl in _groups(rows):
        copies = [r.get("copy_gbs") for r in by_impl.values() if not r.get("skipped") and r.get("copy_gbs")]
        copy = by_impl["copy"]["gbs"] if "copy" in by_impl and not by_impl["copy"].get("skipped") else (
            copies[0] if copies else None)
        cells = [shape_text(json.loads(shape_key)), dtype, f"{copy:.0f}" if copy else "—"]
        for impl in impls:
            r = by_impl.get(impl)
            if r is None or r.get("skipped"):
                cells.append("—")
            else:
                cells.append(f"{r['gbs']:.0f} ({r['percent_of_copy']:.1f} %)")
        body.append(cells)
    notes = ["", "GB/s: each input read once and each output written once, over the median time. "
             "% of copy: against a copy of the same bytes (read and written) timed the same way in the same run."]
    return _table(header, body) + notes + _skip_notes(rows, impls)


def render_attention_table(data):
    rows = [r for r in data["rows"] if r["op"] == "attention"]
    if not rows:
        raise ResultsError("the results file has no attention rows")
    impls = [i for i in IMPLEMENTATIONS if i != "copy" and any(r["implementation"] == i for r in rows)]
    header = ["shape", "dtype"] + [f"{i} TFLOP/s" for i in impls]
    body = []
    for (dtype, shape_key), by_impl in _groups(rows):
        cells = [shape_text(json.loads(shape_key)), dtype]
        for impl in impls:
            r = by_impl.get(impl)
            cells.append("—" if r is None or r.get("skipped") else f"{r['tflops']:.1f}")
        body.append(cells)
    notes = ["", "TFLOP/s: the attention's counted flops (causal: the half that is computed) over the median time."]
    return _table(header, body) + notes + _skip_notes(rows, impls)


def render_timers_table(data):
    entries = data.get("timers", [])
    if not entries:
        raise ResultsError("the results file has no timers section")
    header = ["kernel", "implementation"] + [label for _, label in TIMER_METHODS]
    body, reasons = [], set()
    for e in entries:
        base = e["ms"].get(TIMER_METHODS[0][0])
        cells = [f"{e['op']} {e['dtype']} {shape_text(e['shape'])}", e["implementation"]]
        for method, label in TIMER_METHODS:
            if method not in e["ms"]:
                cells.append("—")
                reasons.add(f"{label.removesuffix(' ms')}: {e['skipped'][method]}")
            elif method == TIMER_METHODS[0][0] or base is None:
                cells.append(f"{e['ms'][method]:.4g}")
            else:
                cells.append(f"{e['ms'][method]:.4g} ({100 * (e['ms'][method] / base - 1):+.1f} %)")
        body.append(cells)
    notes = ["", "Median ms of the same kernel under each method; (±%) against kpg's timer."]
    if reasons:
        notes += ["", "Not run (—): " + " · ".join(sorted(reasons)) + "."]
    return _table(header, body) + notes


def render(data, name):
    """The lines of table NAME between its markers: the caption, the table and its notes."""
    if name in MEMORY_TABLES:
        table = render_memory_table(data, name)
    elif name == "attention":
        table = render_attention_table(data)
    elif name == "timers":
        table = render_timers_table(data)
    else:
        raise ResultsError(f"unknown table '{name}'; known: {', '.join(TABLES)}")
    return [caption(data["run"]), ""] + table


# ---------------------------------------------------------------- documents


DocError = doc_markers.MarkerError  # a document's markers are broken (unterminated, nested, unknown table)


def find_blocks(text, path):
    """[(name, first line index inside, end marker line index)] of the tables in `text`."""
    return doc_markers.find_blocks(text.split("\n"), path, "results-table", "table", TABLES)


def _has_table(data, name):
    if name == "timers":
        return bool(data.get("timers"))
    return any(r["op"] == name for r in data["rows"])


def source_of(name, results):
    """The path of the one results file (results: {path: data}) that table NAME comes from."""
    having = [path for path, data in results.items() if _has_table(data, name)]
    names = ", ".join(sorted(os.path.basename(p) for p in results))
    if not having:
        raise ResultsError(f"table '{name}': no results file measured it ({names})")
    if len(having) > 1:
        raise ResultsError(f"table '{name}': measured in more than one results file "
                           f"({', '.join(sorted(having))}); keep one")
    return having[0]


def regenerate(text, path, results):
    """(new text, [(table name, results file)] of the tables whose content changed)."""
    lines = text.split("\n")
    changed = []
    for name, start, end in reversed(find_blocks(text, path)):
        source = source_of(name, results)
        new = render(results[source], name)
        if lines[start:end] != new:
            changed.append((name, source))
            lines[start:end] = new
    return "\n".join(lines), list(reversed(changed))


def default_results(root):
    directory = os.path.join(root, RESULTS_DIR)
    if not os.path.isdir(directory):
        return []
    return [os.path.join(directory, n) for n in sorted(os.listdir(directory)) if n.endswith(".json")]


def run(root, results, check, out=None, err=None):
    """The command (results: the results files' paths); returns its exit code."""
    out, err = out or sys.stdout, err or sys.stderr
    docs = {}
    try:
        for path in doc_markers.doc_files(root):
            with open(path, encoding="utf-8") as f:
                text = f.read()
            if find_blocks(text, path):
                docs[path] = text
    except DocError as e:
        print(f"results_tables: {e}", file=err)
        return 2
    rel = lambda p: os.path.relpath(p, root)  # noqa: E731
    try:
        loaded = {path: load_results(path) for path in results}
    except ResultsError as e:
        print(f"results_tables: {e}", file=err)
        return 2
    if not docs:
        print("results_tables: no results-table markers in README.md, docs/*.md or docs/design/*.md", file=out)
        return 0
    if not loaded:
        print(f"results_tables: no results file ({rel(os.path.join(root, RESULTS_DIR))}/*.json); tables are "
              f"marked in {', '.join(rel(p) for p in docs)}", file=err)
        return 2
    try:
        new_docs = {path: regenerate(text, path, loaded) for path, text in docs.items()}
    except ResultsError as e:
        print(f"results_tables: {e}", file=err)
        return 2
    differs = [(path, changed) for path, (_, changed) in new_docs.items() if changed]
    if check:
        for path, changed in differs:
            for name, source in changed:
                print(f"{rel(path)}: table '{name}' differs from {rel(source)}; run scripts/results_tables.py",
                      file=err)
        if not differs:
            print(f"results_tables: every table matches {', '.join(rel(p) for p in results)}", file=out)
        return 1 if differs else 0
    for path, changed in differs:
        doc_markers.write_atomically(path, new_docs[path][0])
        print(f"{rel(path)}: regenerated {', '.join(name for name, _ in changed)}", file=out)
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a table differs")
    parser.add_argument("--root", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."),
                        help="the repository (default: this script's parent folder)")
    parser.add_argument("--results", nargs="+", help=f"the results files (default: ROOT/{RESULTS_DIR}/*.json)")
    args = parser.parse_args(argv)
    root = os.path.abspath(args.root)
    results = [os.path.abspath(p) for p in args.results] if args.results else default_results(root)
    return run(root, results, args.check)


if __name__ == "__main__":
    sys.exit(main())
