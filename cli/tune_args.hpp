#pragma once
// The flags of `kpg tune`, shared by the command (cli/tune.cpp) and its worker processes
// (cli/tune_workers.cpp).

#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "cli/core/command.hpp"
#include "cli/core/op_session.hpp"
#include "tuner/cache_merge.hpp"
#include "tuner/worker_supervisor.hpp"

namespace kpg {
namespace report {
struct HtmlSection;
}

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
  std::string tuning_cache;  // where this worker records (an MPI rank's partial cache); empty: the cache
};

// Counts of what the workers did for one tuning-cache key (file stem).
struct WorkerTally {
  size_t timed = 0, failed = 0;
};

struct WorkersReport {
  std::map<std::string, WorkerTally> by_key;  // CacheKey::file_stem() -> counts
  size_t workers = 0, restarts = 0;
  std::vector<std::string> lost;  // candidates lost to a crash or hang
  KeyedRecords recorded;          // every record written now (results and losses), in order
  double wall_ms = 0;
  std::string unit = "worker process(es)";  // what `workers` counts, in the ranking's lines
  bool shards_lost = false;       // some candidates have no record (an MPI rank lost its shard)
};

// Which workers time which part of the grid.
struct WorkerPlan {
  std::vector<int> gpus;       // one worker process per GPU ordinal
  size_t first_shard = 0;      // worker i times shard first_shard + i ...
  size_t shard_count = 0;      // ... of this many (0: gpus.size()); other processes time the rest
  unsigned jobs_per_worker = 0;  // compile threads (0: the cores, or --jobs, shared by the workers)
  bool progress = true;        // a progress bar on stderr
};

// Throws InputError unless --devices is 'all' or a list of ordinals (no GPU needed).
void check_devices_flag(const std::string& devices);

// GPU ordinals of --devices ("all", "0,1"), grouped by card identity (device_identity):
// each group is tuned as one, with one worker per GPU. Bad input: InputError.
std::vector<std::vector<int>> device_groups(const std::string& devices);

// Times every candidate of `args` (all shapes and variants) in one worker process per
// GPU of the plan, each on its shard of the grid, records the results in the tuning cache
// (ctx.tuning_cache_dir()) and returns what happened. A worker that faults, crashes or
// hangs is restarted; one that fails otherwise throws WorkerFailed.
WorkersReport time_in_workers(const CliContext& ctx, const TuneArgs& args, const OpSession& session,
                              const Tuner& tuner, const WorkerPlan& plan);

// The body of a worker process: tune its shard in process, report events on worker_fd.
int run_tune_worker(const CliContext& ctx, const TuneArgs& args);

// `kpg tune` as one rank of an MPI job (cli/tune_ranks.cpp).
int run_tune_ranks(const CliContext& ctx, const TuneArgs& args);

// Once a shape is timed (by `workers`, or here in process when null): ranks every selected
// variant on `tuner`'s GPU, re-timing a winner within noise of its runner-up there, and
// prints each summary and ranked table to `out` (and HTML sections to `sections`). Returns
// the exit status: 0 when every variant has a choice, 2 when a variant has no candidate at
// the shape (its constraints rule the shape out), else 1.
int print_rankings(const TuneArgs& args, const OpSession& session, const Tuner& tuner, const Shape& shape,
                   const WorkersReport* workers, std::ostream& out, std::vector<report::HtmlSection>* sections);

void write_html(const std::string& file, const std::string& title, const std::vector<report::HtmlSection>& sections);

}  // namespace kpg
