#pragma once
// `kpg run` in a worker process, so that a kernel that faults or never ends costs one
// unit, not the run.
//
// A unit is one configuration of one variant at one shape. The `kpg run` you start
// (the parent) touches no GPU: it starts itself again as a worker (`--worker-fd 3`),
// which opens the GPU and runs the units in order, writing a "start" event before a
// unit's kernel runs and a "result" event after (tuner/worker_supervisor.hpp, the same
// supervisor as `kpg tune`'s). After a fault (the worker reports it and exits), a crash
// or a hang (no result within the watchdog: the worker is killed), the parent reports
// the unit and starts a fresh worker with `--resume-from K`, K the next unit's index.
// The parent prints one line per failed unit as it happens, and the worker's results
// are what it prints at the end. docs/RELIABILITY.md explains the design.

#include <chrono>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "tuner/worker_supervisor.hpp"

namespace kpg {

struct RunUnit {
  size_t index = 0;   // in run order: shapes, then variants, then configurations
  bool last = false;  // the run's last unit
  std::string op, gpu, shape;
  std::string source;  // where the configuration came from ("space default", "--params", ...)
  // variant, candidate_id (the configuration), params, ok, times; failure:
  // "wrong result: ...", "fault: ...", "hang: ...", "crash: ...", "error: ..."
  TuneRecord record;
  double gbs = 0;
};

// The event a worker writes for a unit (kind "start" or "result"), and back; nullopt for
// an event that does not describe a unit.
WorkerEvent run_event(const std::string& kind, const RunUnit& unit);
std::optional<RunUnit> run_unit_of(const WorkerEvent& event);

// "ok", "WRONG", "FAULT", "HANG", "CRASH" or "ERROR".
std::string verdict(const RunUnit& unit);

// `prefix` ("kpg run OP", plus --seed when one was given) with the shape and the record's
// variant, space and params: the command that runs that configuration again, alone
// (kpg run's failed units, kpg tune's failed candidates).
std::string reproduce_command(const std::string& prefix, const std::string& shape, const TuneRecord& record);

// "FAULT tuned tuned:BREAK=1 at N=4096,dtype=f32: CUDA_ERROR_...\n    reproduce: kpg run ...\n"
std::string failure_report(const RunUnit& unit, const std::string& repro);

struct RunSupervision {
  std::vector<std::string> worker_argv;  // a worker's command line; a restart adds --resume-from K
  std::chrono::duration<double> watchdog{30.0};
  std::string repro;  // see reproduce_command
};

struct RunOutcome {
  std::vector<RunUnit> units;  // every unit with a result (or lost to a crash or hang), in run order
  size_t restarts = 0;         // fresh workers after a fault, crash or hang
  // When the first unit's kernel was about to run (the "start" of unit 0 or the first resumed).
  std::optional<std::chrono::steady_clock::time_point> first_start;
  // A worker that failed otherwise (bad input: 2, no GPU or a runtime error: 1); its
  // messages are on stderr and the run ended there.
  std::optional<int> worker_failed;
};

// Runs the units in workers, restarting after each fault, crash or hang, and prints a
// failure_report for each failed unit on `out` as it happens. Throws Error when no
// worker can be started.
RunOutcome supervise_run(const RunSupervision& supervision, std::ostream& out);

// "10 units: 2 ok, 0 wrong, 6 fault, 2 hang, 0 crash, 0 error"
std::string summary_line(const std::vector<RunUnit>& units);

// 0 when every unit passed, 1 when one failed or a worker failed at run time, 2 when a
// worker failed on bad input.
int run_exit_code(const RunOutcome& outcome);

}  // namespace kpg
