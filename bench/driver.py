"""The benchmark run, apart from the GPU: for each case, measure every implementation through
a lab (bench/lab.py on a GPU; a fake in the tests), turn the measurements into rows, time the
kernels of the timers section under the other timers, write the results file and print its
tables.

A lab provides:
    lab.header() -> dict of results.RUN_KEYS (card, sm_count, driver, cuda, nvrtc, kpg,
                    torch, triton)
    lab.case(case) -> a context manager giving a case lab:
        .measure(implementation) -> Measured            (raises Skip)
        .copy() -> Measured                              the same-bytes copy (raises Skip); timed
                                                         before and after the implementations
        .timer_timing(implementation) -> Timing          kpg's timer on the kernel of the timers
                                                         section (raises Skip)
        .do_bench_ms(implementation) -> float            triton.testing.do_bench (raises Skip)
        .ncu_spec(implementation) -> dict                what ncu_probe needs to rebuild the kernel
    lab.ncu_ms(spec) -> float                            Nsight Compute (raises Skip)
The timers section asks for an implementation after the case's rows were measured.
"""
import time
import traceback

from bench import results
from bench.cases import COPY
from bench.outcome import Skip, error_text

TIMER_METHODS = ("kpg-writeback-charged", "kpg-launch-only", "triton-do-bench", "ncu-gpu-time-duration")


class Report:
    """Progress lines (to the log) and the failures that make the run exit 1."""

    def __init__(self, log):
        self.log = log
        self.failures = []

    def line(self, text):
        self.log(text)

    def failure(self, text):
        self.failures.append(text)
        self.log("FAILED: " + text)


def _measure(case, implementation, fn, report):
    """fn() -> Measured, or a skipped row's reason. An exception other than Skip is a failure
    when it is kpg's (kpg fused, kpg unfused, copy), a reported skip for a peer."""
    start = time.monotonic()
    try:
        measured = fn()
    except Skip as s:
        report.line(f"  {implementation:<26} skipped: {s}")
        if implementation.startswith("kpg") and str(s).startswith("wrong result"):
            report.failure(f"{case.label()} {implementation}: {s}")
        return None, str(s)
    except Exception as e:  # noqa: BLE001  (one failing kernel must not end the run)
        reason = "error: " + error_text(e)
        report.line(f"  {implementation:<26} {reason}")
        if implementation.startswith("kpg") or implementation == COPY:
            report.failure(f"{case.label()} {implementation}: {reason}")
            report.line(traceback.format_exc().rstrip())
        return None, reason
    t = measured.timing
    note = f"  [{measured.note}]" if measured.note else ""
    report.line(f"  {implementation:<26} {t.median_ms:9.4f} ms  spread {t.spread_pct:5.1f} %  "
                f"{time.monotonic() - start:5.1f} s{note}")
    return measured, None


def measure_case(case_lab, case, report):
    """(rows of the case in the file's order, {implementation: Measured})."""
    measured, reasons = {}, {}

    def measure(implementation, fn):
        m, reason = _measure(case, implementation, fn, report)
        if m is not None:
            measured[implementation] = m
        else:
            reasons[implementation] = reason

    memory_bound = case.bound == "memory"
    if memory_bound:
        measure(COPY, case_lab.copy)
    for impl in case.implementations:
        if impl != COPY:
            measure(impl, lambda: case_lab.measure(impl))
    if memory_bound and COPY in measured:
        _time_copy_again(case, case_lab, report, measured)
    copy_gbs = results.measured_row(case, COPY, measured[COPY], None)["gbs"] if COPY in measured else None
    rows = []
    for impl in case.implementations:
        if impl in measured:
            rows.append(results.measured_row(case, impl, measured[impl], copy_gbs))
        else:
            rows.append(results.skipped_row(case, impl, reasons[impl]))
    return rows, measured


def _time_copy_again(case, case_lab, report, measured):
    """The copy is timed before and after the case's implementations and the faster timing is
    the ceiling: timed again in the same run, the same copy's median moves by as much as a
    kernel at copy speed differs from it, and that drift must not read as a kernel faster
    than its copy."""
    again, _ = _measure(case, COPY, case_lab.copy, report)
    if again is not None and again.timing.median_ms < measured[COPY].timing.median_ms:
        measured[COPY] = again


def _record(entry, method, measure):
    """entry's ms of `method` from measure(), or the reason it has none."""
    try:
        entry["ms"][method] = results.significant(measure())
    except Skip as s:
        entry["skipped"][method] = str(s)
    except Exception as e:  # noqa: BLE001  (one timer failing must not end the run)
        entry["skipped"][method] = "error: " + error_text(e)


def _timer_entry(case, implementation):
    return {"op": case.op, "dtype": case.dtype, "shape": case.dims, "implementation": implementation,
            "ms": {}, "skipped": {}}


def skipped_timer_entry(case, implementation, reason):
    entry = _timer_entry(case, implementation)
    entry["skipped"] = {method: reason for method in TIMER_METHODS}
    return entry


def timer_entry(case_lab, case, implementation, report):
    """The timers entry of one kernel, but for ncu (filled in at the end of the run), and
    the spec ncu_probe rebuilds the kernel from (None when there is none)."""
    try:
        timing = case_lab.timer_timing(implementation)
    except Exception as e:  # noqa: BLE001  (Skip included: nothing to compare then)
        reason = str(e) if isinstance(e, Skip) else "error: " + error_text(e)
        report.line(f"  timers {implementation:<19} skipped: {reason}")
        return skipped_timer_entry(case, implementation, reason), None
    entry = _timer_entry(case, implementation)
    entry["ms"]["kpg-writeback-charged"] = results.significant(timing.median_ms)
    entry["ms"]["kpg-launch-only"] = results.significant(timing.launch_ms)
    _record(entry, "triton-do-bench", lambda: case_lab.do_bench_ms(implementation))
    spec = None
    try:
        spec = case_lab.ncu_spec(implementation)
    except Skip as s:
        entry["skipped"]["ncu-gpu-time-duration"] = str(s)
    report.line(f"  timers {implementation:<19} " + "  ".join(f"{k} {v:.4g}" for k, v in entry["ms"].items()))
    return entry, spec


def run_ncu(lab, pending, report):
    for entry, spec in pending:
        _record(entry, "ncu-gpu-time-duration", lambda: lab.ncu_ms(spec))
        got = entry["ms"].get("ncu-gpu-time-duration")
        report.line(f"  ncu {entry['op']} {entry['dtype']} {entry['implementation']}: "
                    + (f"{got:.4g} ms" if got else entry["skipped"]["ncu-gpu-time-duration"]))


def timing_method(rows_measured):
    methods = {m.timing.method for m in rows_measured}
    if len(methods) > 1:
        raise ValueError(f"rows timed by different methods: {', '.join(sorted(methods))}")
    return methods.pop() if methods else None


def run(lab, cases, timer_kernels, command, output, log=print):
    """Measures, writes `output` and prints the tables; returns the exit code: 0, or 1 when a
    kpg row failed or the file breaks the results file's rules (written all the same, so
    the defect can be examined)."""
    report = Report(log)
    started = time.monotonic()
    date = results.utc_now()
    device = lab.header()
    report.line(f"kpg benchmark on {device['card']} ({device['sm_count']} SMs), {len(cases)} cases")
    rows, timers, pending, all_measured = [], [], [], []
    wanted = {}
    for case, impl in timer_kernels:
        wanted.setdefault(case, []).append(impl)
    for number, case in enumerate(cases, 1):
        case_start = time.monotonic()
        report.line(f"[{number}/{len(cases)}] {case.label()}")
        try:
            with lab.case(case) as case_lab:
                case_rows, measured = measure_case(case_lab, case, report)
                case_timers = [timer_entry(case_lab, case, impl, report) for impl in wanted.get(case, [])]
        except Exception as e:  # noqa: BLE001  (the inputs or references of one case failed)
            reason = "error: " + error_text(e)
            report.failure(f"{case.label()}: {reason}")
            report.line(traceback.format_exc().rstrip())
            case_rows, measured = [results.skipped_row(case, impl, reason) for impl in case.implementations], {}
            case_timers = [(skipped_timer_entry(case, impl, reason), None) for impl in wanted.get(case, [])]
        rows += case_rows
        all_measured += measured.values()
        timers += [entry for entry, _ in case_timers]
        pending += [(entry, spec) for entry, spec in case_timers if spec is not None]
        report.line(f"  case {time.monotonic() - case_start:.1f} s, run {time.monotonic() - started:.0f} s")
    if pending:
        report.line("Nsight Compute (one subprocess a kernel)")
        run_ncu(lab, pending, report)
    try:
        timer = timing_method(all_measured) or "kpg-writeback-charged"
    except ValueError as e:
        report.failure(str(e))
        timer = "+".join(sorted({m.timing.method for m in all_measured}))
    data = results.document(results.run_header(device, command, timer, date), rows, timers)
    problems = results.problems(data)
    results.write_atomically(output, data)
    report.line(f"wrote {output} ({len(rows)} rows, {len(timers)} timers entries) in "
                f"{time.monotonic() - started:.0f} s")
    if problems:
        report.line("The results file breaks the rules of docs/design/results_file.md:")
        for p in problems:
            report.line("  " + p)
    else:
        report.line("")
        report.line(results.tables(data))
    for f in report.failures:
        report.line("FAILED: " + f)
    return 1 if problems or report.failures else 0
