#pragma once
// One watch round after another: reload the config (a YAML error is one line, and the
// watch goes on), resolve the shape and variants, work out which files to watch, then
// compile (no GPU) or check and time (GPU) every watched variant, printing each result
// beside last round's.

#include <filesystem>
#include <memory>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "cli/watch/gpu_bench.hpp"
#include "cli/watch/gpu_round.hpp"
#include "cli/watch/round_state.hpp"
#include "runtime/compiler.hpp"
#include "tuner/config.hpp"

namespace kpg {

class WatchRounds {
 public:
  // `gpu` null: compile-only rounds. `compiler`, `gpu` and `out` must outlive this.
  WatchRounds(WatchSettings settings, const Compiler& compiler, GpuBench* gpu, std::ostream& out);
  ~WatchRounds();

  // Runs and prints one round; `changed` names the files whose save started it (empty:
  // the first round). Never throws for bad input or a failed kernel: it is in the outcome.
  RoundOutcome run(const std::set<std::filesystem::path>& changed);

  // Loads the config and works out the watched files without running a round (a watch
  // restarted after a GPU fault waits for the next save). Errors are left to the next round.
  void prepare();

  // What the last round depended on: the config, the kernel source, its headers.
  const std::vector<std::filesystem::path>& watched_files() const { return watched_; }
  int rounds() const { return round_; }
  WatchSettings& settings() { return settings_; }

 private:
  // The config for this round: the last one while the file's text is unchanged (so the
  // GPU workload and its reference can be kept), else freshly loaded. Throws ConfigError.
  const OpConfig& load();
  void body(RoundOutcome& outcome);

  WatchSettings settings_;
  const Compiler& compiler_;
  GpuBench* gpu_;
  std::unique_ptr<GpuRound> gpu_round_;
  std::ostream& out_;
  std::unique_ptr<OpConfig> config_;
  std::string config_text_;
  std::vector<std::filesystem::path> watched_;
  RoundHistory history_;
  int round_ = 0;
};

}  // namespace kpg
