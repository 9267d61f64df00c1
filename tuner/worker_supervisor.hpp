#pragma once
// Tuning in worker processes, so that a broken candidate cannot end the run.
//
// A CUDA fault (illegal address, misaligned access, trap) poisons the context of the
// process that launched the kernel, and a kernel that never ends blocks it for good. So
// `kpg tune` times candidates in child processes (one per GPU) and supervises them:
//   - each worker writes one line per event to fd 3: "start" before a candidate runs on
//     the GPU, "result" once its record is in the tuning cache (format_event below);
//   - a worker that dies while a candidate runs (fault, crash) or shows no result for
//     `watchdog_s` (hang: it is killed) gets that candidate recorded as failed, unless it
//     recorded the failure itself, and is started again; being a tuner, it skips every
//     candidate the cache already holds, so it goes on with the rest;
//   - a worker that fails before any candidate ran (bad input, no GPU) ends the run with
//     its own message, printed on stderr;
//   - the reference kernel (the reference variant's default, run before any candidate) is
//     watched the same way ("reference", then "reference-done"); when it faults, crashes
//     or hangs, no candidate can be checked, so the run ends (ReferenceLost), no restart.
// docs/RELIABILITY.md explains the design and its costs.

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "runtime/error.hpp"
#include "tuner/tuning_cache.hpp"

namespace kpg {

// What a worker reports. kind: "start" (record names the candidate) or "result"; for the
// reference kernel, "reference" and "reference-done".
struct WorkerEvent {
  std::string kind;
  CacheKey key;
  TuneRecord record;
  std::string note;  // optional, for the supervisor's own use (kpg run: the unit, as JSON); one line
};

std::string format_event(const WorkerEvent& event);  // one line, no newline
// nullopt for a line that is not an event (anything else a worker might print there).
std::optional<WorkerEvent> parse_event(const std::string& line);

// The file descriptor on which a worker writes its events.
constexpr int kWorkerEventFd = 3;

// The worker side: writes one event line to `fd` (the supervisor's pipe). Throws Error
// when the pipe is gone.
void write_event(int fd, const WorkerEvent& event);

struct WorkerSpec {
  std::string label;              // e.g. "tuning worker on GPU 1", in messages
  std::vector<std::string> argv;  // argv[0]: the program, run with execv
};

struct SupervisorOptions {
  std::chrono::duration<double> watchdog{30.0};  // longest a started candidate may run
  size_t max_restarts = 1000;                    // per worker: a guard, each restart follows a recorded failure
};

struct SupervisorHooks {
  std::function<void(size_t worker, const WorkerEvent&)> on_event;
  // A candidate the worker did not report a result for: record the failure (`why`).
  std::function<void(size_t worker, const WorkerEvent& started, const std::string& why)> on_lost;
  std::function<void(size_t worker, const std::string& why)> on_restart;
  // The command line of a restarted worker (default: the one it started with); empty:
  // nothing is left for it to do, so it counts as finished.
  std::function<std::vector<std::string>(size_t worker)> restart_argv;
};

struct SupervisorReport {
  size_t restarts = 0;
  std::vector<std::string> lost;  // "<candidate>: <why>"
};

// A worker ended with a failure that is not a candidate's (bad input, no GPU); its own
// messages are on stderr. exit_code: the worker's, or -1 when a signal ended it.
class WorkerFailed : public Error {
 public:
  WorkerFailed(const std::string& message, int exit_code) : Error(message), exit_code_(exit_code) {}
  int exit_code() const { return exit_code_; }

 private:
  int exit_code_;
};

// The reference kernel faulted, crashed or hung in a worker; what() says which and how.
class ReferenceLost : public WorkerFailed {
 public:
  using WorkerFailed::WorkerFailed;
};

// Runs every worker to completion (they run at once), restarting the ones that lose a
// candidate. Throws ReferenceLost when the reference kernel is lost, WorkerFailed when a
// worker fails otherwise (the others are then killed), Error when one cannot be started.
SupervisorReport supervise(const std::vector<WorkerSpec>& workers, const SupervisorOptions& options,
                           const SupervisorHooks& hooks);

}  // namespace kpg
