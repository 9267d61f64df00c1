"""The results file (docs/design/results_file.md): its rows, its header, its atomic write,
and the check and tables of scripts/results_tables.py applied to it."""
import datetime
import json
import math
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "scripts"))
import doc_markers  # noqa: E402  (the atomic write of generated files)
import results_tables  # noqa: E402  (the schema's one checker and table generator)

SCHEMA_VERSION = results_tables.SCHEMA_VERSION
RUN_KEYS = ("card", "sm_count", "driver", "cuda", "nvrtc", "kpg", "torch", "triton")


def significant(x, digits=6):
    """x rounded to `digits` significant digits: the file's figures agree with each other
    within results_tables' 0.5 % whatever their size."""
    if x == 0 or not math.isfinite(x):
        return x
    return round(x, digits - 1 - int(math.floor(math.log10(abs(x)))))


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def _kernel(case, implementation):
    return {"op": case.op, "dtype": case.dtype, "shape": case.dims, "implementation": implementation}


def skipped_row(case, implementation, reason):
    row = _kernel(case, implementation)
    row.update(bound=case.bound, skipped=reason)
    return row


def measured_row(case, implementation, measured, copy_gbs):
    """A row from a Measured; copy_gbs: the case's same-bytes copy (memory-bound cases), or
    None (compute-bound cases, or a copy that itself is this row)."""
    t = measured.timing
    nbytes, flops = case.bytes(), case.flops()
    gbs = significant(nbytes / (t.median_ms * 1e6))
    row = _kernel(case, implementation)
    row.update(bound=case.bound)
    if measured.config is not None:
        row["config"] = measured.config
    row.update(median_ms=significant(t.median_ms), min_ms=significant(t.min_ms),
               spread_pct=significant(t.spread_pct, 3), reps=int(t.reps), bytes=nbytes, flops=flops, gbs=gbs,
               tflops=significant(flops / (t.median_ms * 1e9)) if flops else None,
               copy_gbs=None, percent_of_copy=None, skipped=None)
    if case.bound == "memory":
        copy = gbs if implementation == "copy" else copy_gbs
        if copy:
            row["copy_gbs"] = copy
            row["percent_of_copy"] = significant(100 * gbs / copy, 5)
    return row


def run_header(device, command, timer, date=None):
    """The `run` object: device holds RUN_KEYS (kpg_backend.device_info plus the peers'
    versions), command the exact command line, timer the rows' timing method."""
    missing = [k for k in RUN_KEYS if k not in device]
    if missing:
        raise ValueError(f"run header: missing {', '.join(missing)}")
    run = {k: device[k] for k in RUN_KEYS}
    run.update(date=date or utc_now(), command=command, timer=timer)
    return run


def document(run, rows, timers):
    return {"schema_version": SCHEMA_VERSION, "run": run, "rows": rows, "timers": timers}


def problems(data):
    """Every reason scripts/results_tables.py would refuse the file (empty: none)."""
    return results_tables.validate(data)


class OutputError(Exception):
    """The results file cannot be written there; the message names the path and why."""


def check_output_path(path):
    """Refuses, before anything is measured, a path the results cannot be written to: a
    folder, a device or FIFO, or a parent that is not a folder. The parent is created."""
    if os.path.lexists(path) and not os.path.isfile(path):
        raise OutputError(f"{path}: exists and is not a regular file; the results go to a regular file")
    parent = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(parent, exist_ok=True)
    except OSError as e:
        raise OutputError(f"{parent}: cannot create the folder for the results file: {e.strerror}")
    if not os.access(parent, os.W_OK):
        raise OutputError(f"{parent}: not writable")


def write_atomically(path, data):
    """Writes the JSON to a temporary file beside `path`, then renames it over `path`: a
    reader sees the old file or the new one, never half of one."""
    check_output_path(path)
    doc_markers.write_atomically(path, json.dumps(data, indent=1) + "\n")


def tables(data):
    """The generated tables of every op in the file, and the timers table, as text."""
    lines = [results_tables.caption(data["run"])]
    names = [op for op in ("softmax", "layernorm", "rmsnorm", "attention") if any(r["op"] == op for r in data["rows"])]
    if data.get("timers"):
        names.append("timers")
    for name in names:
        lines += ["", f"{name}:"] + results_tables.render(data, name)[2:]
    return "\n".join(lines)
