#pragma once
// The flags of `kpg tune`, shared by the command (cli/tune.cpp) and its worker processes
// (cli/tune_workers.cpp).

#include <map>
#include <string>
#include <vector>

#include "cli/command.hpp"
#include "cli/op_session.hpp"
#include "tuner/worker_supervisor.hpp"

namespace kpg {

struct TuneArgs {
  std::string op;
  OpSelection selection;
  bool force = false;
  bool no_tune = false;
  size_t budget = 0;
  unsigned jobs = 0;
  size_t top = 10;
  std::string html;              // report file; empty: none
  std::string devices = "0";     // "all" or "0,1": one timing worker per GPU
  bool in_process = false;       // time in this process (a fault ends the run)
  double watchdog_s = 30;        // a candidate running longer is a hang
  // Set only on worker processes (the supervisor passes them).
  int worker_fd = -1;
  int device = 0;
  std::string shard = "0/1";  // INDEX/COUNT of the grid this worker times
  std::string retime_before;
};

// Counts of what the workers did for one tuning-cache key (file stem).
struct WorkerTally {
  size_t timed = 0, failed = 0;
};

struct WorkersReport {
  std::map<std::string, WorkerTally> by_key;  // CacheKey::file_stem() -> counts
  size_t workers = 0, restarts = 0;
  std::vector<std::string> lost;  // candidates lost to a crash or hang
  double wall_ms = 0;
};

// Throws InputError unless --devices is 'all' or a list of ordinals (no GPU needed).
void check_devices_flag(const std::string& devices);

// GPU ordinals of --devices ("all", "0,1"), grouped by card identity (device_identity):
// each group is tuned as one, with one worker per GPU. Bad input: InputError.
std::vector<std::vector<int>> device_groups(const std::string& devices);

// Times every candidate of `args` (all shapes and variants) in one worker process per
// GPU of `group`, each on its shard of the grid, records the results in the tuning cache
// and returns what happened. A worker that faults, crashes or hangs is restarted.
WorkersReport time_in_workers(const CliContext& ctx, const TuneArgs& args, const OpSession& session,
                              const Tuner& tuner, const std::vector<int>& group);

// The body of a worker process: tune its shard in process, report events on worker_fd.
int run_tune_worker(const CliContext& ctx, const TuneArgs& args);

}  // namespace kpg
