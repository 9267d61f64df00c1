#!/usr/bin/env python3
"""Checks a results file written by bench/run.py on a GPU machine with PyTorch and Triton
installed: the file follows the schema (scripts/results_tables.py), and the run measured what
such a machine must measure. Prints each problem; exit 0 when there is none, 1 otherwise.

    tests/bench/gpu_run_check.py RESULTS_FILE

Required: every kpg row, copy, torch and Triton row measured (attention's kpg unfused and
torch rows may be skipped for memory, with that reason); no row skipped with an error; every
timers entry timed by kpg's timer, do_bench and (where ncu is installed, but for the copy,
a driver memcpy) Nsight Compute."""
import json
import os
import shutil
import sys

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(REPO, "scripts"))
import results_tables  # noqa: E402

MUST_RUN = ("kpg fused", "kpg unfused", "copy", "torch", "triton")
MEMORY_SKIP = "of device memory free"  # the one reason a must-run row may give


def problems(data, ncu_installed):
    found = results_tables.validate(data)
    for i, row in enumerate(data.get("rows", [])):
        what = f"rows[{i}] {row.get('op')} {row.get('dtype')} {row.get('shape')} {row.get('implementation')}"
        reason = row.get("skipped")
        if not reason:
            continue
        if reason.startswith("error:") or reason.startswith("wrong result"):
            found.append(f"{what}: {reason}")
        elif row.get("implementation") in MUST_RUN and MEMORY_SKIP not in reason:
            found.append(f"{what}: skipped: {reason}")
    for i, entry in enumerate(data.get("timers", [])):
        wanted = ["kpg-writeback-charged", "kpg-launch-only", "triton-do-bench"]
        if ncu_installed and entry.get("implementation") != "copy":  # a driver memcpy: no kernel for ncu
            wanted.append("ncu-gpu-time-duration")
        for method in wanted:
            if method not in entry.get("ms", {}):
                found.append(f"timers[{i}] {entry.get('op')} {entry.get('implementation')}: no {method} "
                             f"({entry.get('skipped', {}).get(method)})")
    if not data.get("run", {}).get("torch") or not data.get("run", {}).get("triton"):
        found.append("run: torch and triton versions expected on the GPU machine")
    return found


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        data = json.load(f)
    ncu_installed = bool(shutil.which("ncu") or os.access("/usr/local/cuda/bin/ncu", os.X_OK))
    found = problems(data, ncu_installed)
    for p in found:
        print(p)
    rows = data.get("rows", [])
    print(f"{argv[1]}: {len(rows)} rows ({sum(1 for r in rows if r.get('skipped'))} skipped), "
          f"{len(data.get('timers', []))} timers entries, {len(found)} problems")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
