#pragma once
// The tuner's vocabulary, shared by its stages (tuner/tune_pipeline.hpp) and its GPU half
// (tuner/tuner.hpp): what a tune is asked to do, what it reports while it works, and what
// it returns.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tuner/space.hpp"
#include "tuner/tuning_cache.hpp"

namespace kpg {

class Workload;

// What a tuner reports while it works: a candidate about to run on the GPU (record has
// its id, params and variant) and each result as it is recorded. Worker processes send
// these to their supervisor (tuner/worker_supervisor.hpp), which watches for hangs.
struct TuneEvent {
  enum class Kind { start, result } kind;
  const CacheKey& key;
  const TuneRecord& record;
  bool reference = false;  // the reference variant's default, computing the reference
};

struct TuneOptions {
  bool force = false;                 // re-time candidates that already have records
  std::string retime_before;          // ISO time: also re-time records older than this
  bool no_tune = false;               // use cache, nearest tuned shape or default; time nothing
  std::optional<size_t> budget;       // time at most this many candidates (guided search)
  bool progress = true;               // progress bar on stderr
  unsigned jobs = 0;                  // compile threads; 0 = every core
  uint64_t seed = 0;                  // 0 = fresh random inputs each run
  // Tune only candidates whose index in the enumerated grid is shard_index mod
  // shard_count (one worker per GPU); a budget is split evenly between the shards.
  size_t shard_index = 0, shard_count = 1;
  bool rematch_ties = true;           // re-measure a winner within noise of the runner-up
  bool timed_elsewhere = false;       // worker processes just timed this grid: report as tuned now
  // When set, called before the workload's buffers are first used (a candidate is timed or
  // a tie re-measured), to fill its inputs and reference then rather than up front; it may
  // be called once per tune() and must do its work once per workload.
  std::function<void(Workload&)> prepare;
  std::function<void(const TuneEvent&)> on_event;
};

// Where the chosen configuration came from.
enum class ChoiceSource { tuned_now, cache, nearest_shape, config_default };
std::string_view to_string(ChoiceSource s);

struct TuneResult {
  std::string op, variant;
  Shape shape;
  CacheKey key;
  PruneReport pruned;
  std::vector<TuneRecord> records;       // every record of a candidate still in the grid
  std::optional<TuneRecord> best;
  std::optional<TuneRecord> default_record;
  Candidate chosen;                      // what the op runs with
  ChoiceSource source = ChoiceSource::config_default;
  std::string source_detail;             // e.g. the nearest shape used
  size_t candidates = 0, compiled = 0, compile_cache_hits = 0, timed = 0, failed = 0;
  double compile_ms_total = 0;           // summed over compile jobs (CPU time spent)
  double wall_ms = 0;
};

}  // namespace kpg
