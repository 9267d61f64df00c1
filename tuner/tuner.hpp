#pragma once
// The tuner: every candidate of a variant's grid compiled in parallel (through the cubin
// cache) while the GPU verifies and times the ones already compiled; each result is
// recorded in the tuning cache as soon as it exists, and the best is derived from the
// records, so adding a grid value times only the new candidate and a crash loses nothing.

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/compiler.hpp"
#include "runtime/error.hpp"
#include "runtime/module.hpp"
#include "tuner/config.hpp"
#include "tuner/gpu.hpp"
#include "tuner/launch_plan.hpp"
#include "tuner/selection.hpp"
#include "tuner/space.hpp"
#include "tuner/tuning_cache.hpp"
#include "tuner/workload.hpp"

namespace kpg {

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

// A candidate compiled, loaded and bound to a workload, ready to launch.
struct BoundCandidate {
  Candidate candidate;
  CompiledKernel compiled;
  std::unique_ptr<Module> module;
  std::unique_ptr<LaunchPlan> plan;
};

// A candidate faulted on the GPU: its failure is recorded, but the context is lost, so
// this process can time nothing more (tune in worker processes to go on).
struct CandidateFault : Error {
  using Error::Error;
};

class Tuner {
 public:
  Tuner(const Gpu& gpu, const Compiler& compiler, const TuningCache& cache,
        std::filesystem::path kernels_dir);

  TuneResult tune(const OpConfig& config, const VariantSpec& variant, Workload& workload,
                  const TuneOptions& options) const;

  // Compile (through the cubin cache), load and bind one candidate.
  BoundCandidate bind(const OpConfig& config, const VariantSpec& variant, const Candidate& candidate,
                      const Workload& workload) const;

  // Poison outputs, launch once, compare with the workload's reference.
  CheckReport verify(const BoundCandidate& bound, Workload& workload) const;

  // Make sure the workload has a reference: builtin, or the default of another variant.
  // That kernel is reported through `on_event` like a candidate (start, then result, with
  // `reference` set), so that a supervisor holds it to the same watchdog.
  void ensure_reference(const OpConfig& config, Workload& workload,
                        const std::function<void(const TuneEvent&)>& on_event = {}) const;

  const Gpu& gpu() const { return gpu_; }
  CacheKey cache_key(const OpConfig& config, const VariantSpec& variant, const Shape& shape) const;
  CompileOptions compile_options(const OpConfig& config, const Candidate& candidate,
                                 const Shape& shape) const;

 private:
  TuneRecord evaluate(const OpConfig& config, const VariantSpec& variant, const Candidate& candidate,
                      const CompiledKernel& compiled, Workload& workload) const;

  const Gpu& gpu_;
  const Compiler& compiler_;
  const TuningCache& cache_;
  std::filesystem::path kernels_dir_;
};

// The candidate a variant declares as its default at a shape (first space whose
// default passes the constraints).
std::optional<Candidate> default_candidate(const OpConfig& config, const VariantSpec& variant,
                                           const Shape& shape, const DeviceLimits& limits);

}  // namespace kpg
