"""Nsight Compute's view of a kernel, for the timers section: gpu__time_duration.sum of each
kernel a call launches, summed per call, median over the calls.

The kernel runs in a small subprocess (bench/ncu_probe.py) under
    ncu --metrics gpu__time_duration.sum --csv --clock-control none --cache-control all
        --profile-from-start off
which launches it CALLS times between cudaProfilerStart and cudaProfilerStop, after a
warm-up outside that range (compilation, tuning-cache look-ups and allocations stay out).
"""
import csv
import io
import json
import os
import shutil
import statistics
import subprocess
import sys

from bench.outcome import Skip

METRIC = "gpu__time_duration.sum"
CALLS = 5
_UNIT_MS = {"nsecond": 1e-6, "ns": 1e-6, "usecond": 1e-3, "us": 1e-3, "msecond": 1.0, "ms": 1.0,
            "second": 1e3, "s": 1e3}


def find_ncu():
    """The ncu executable: on PATH, else the CUDA toolkit's; None when neither exists."""
    found = shutil.which("ncu")
    if found:
        return found
    cuda = os.environ.get("CUDA_HOME", "/usr/local/cuda")
    path = os.path.join(cuda, "bin", "ncu")
    return path if os.access(path, os.X_OK) else None


def command(ncu, spec, python=sys.executable):
    return [ncu, "--metrics", METRIC, "--csv", "--clock-control", "none", "--cache-control", "all",
            "--profile-from-start", "off", python, "-m", "bench.ncu_probe", json.dumps(spec)]


def parse_csv(text):
    """[(kernel name, duration in ms)] in launch order from ncu's --csv output (which may be
    interleaved with ==PROF== lines and the program's own output)."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith('"ID"')), None)
    if start is None:
        return []
    body = [line for line in lines[start:] if line.startswith('"')]
    kernels = []
    for rec in csv.DictReader(io.StringIO("\n".join(body))):
        if rec.get("Metric Name") != METRIC:
            continue
        unit = (rec.get("Metric Unit") or "").strip()
        if unit not in _UNIT_MS:
            raise ValueError(f"ncu: unknown unit {unit!r} for {METRIC}")
        value = float((rec.get("Metric Value") or "").replace(",", ""))
        kernels.append((rec.get("Kernel Name", "?"), value * _UNIT_MS[unit]))
    return kernels


def per_call_median_ms(kernels, calls=CALLS):
    """The median over the calls of each call's summed kernel durations; the kernels of the
    calls are in launch order, as many per call."""
    if not kernels or len(kernels) % calls:
        raise Skip(f"ncu profiled {len(kernels)} kernels for {calls} calls: cannot split them into calls")
    per_call = len(kernels) // calls
    names = [k[0] for k in kernels[:per_call]]
    if any(kernels[i][0] != names[i % per_call] for i in range(len(kernels))):
        raise Skip("ncu profiled different kernels in different calls")
    return statistics.median(sum(ms for _, ms in kernels[c * per_call:(c + 1) * per_call]) for c in range(calls))


def _refusal(output):
    """The reason in ncu's output when it profiled nothing (the last ==ERROR== line)."""
    errors = [line.split("==ERROR==", 1)[1].strip() for line in output.splitlines() if "==ERROR==" in line]
    if any("ERR_NVGPUCTRPERM" in e for e in errors):
        return "ncu refused: no permission to read the GPU's performance counters (ERR_NVGPUCTRPERM)"
    if errors:
        return "ncu refused: " + errors[-1][:200]
    return None


def measure(spec, repo, timeout_s=180):
    """Median ms of the kernel(s) of `spec` (a kernel of the timers section, as ncu_probe
    reads it) under ncu. Raises Skip when ncu is absent, refuses or profiles nothing."""
    ncu = find_ncu()
    if ncu is None:
        raise Skip("ncu not installed")
    try:
        done = subprocess.run(command(ncu, spec), cwd=repo, capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        raise Skip(f"ncu did not finish within {timeout_s} s")
    output = done.stdout + "\n" + done.stderr
    try:
        kernels = parse_csv(done.stdout)
    except ValueError as e:
        raise Skip(str(e))
    if not kernels:
        reason = _refusal(output)
        if reason is None:
            tail = [line for line in output.splitlines() if line.strip()][-1:]
            reason = f"ncu profiled no kernel (exit {done.returncode}{': ' + tail[0][:200] if tail else ''})"
        raise Skip(reason)
    return per_call_median_ms(kernels)
