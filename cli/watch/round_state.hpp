#pragma once
// What watch rounds share: the settings from the command line, what one round found
// (and the exit code it means for --once), and what each variant did last round, which
// the next round prints its numbers beside.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cli/watch/round_report.hpp"
#include "cli/watch/watch_target.hpp"
#include "tuner/space.hpp"

namespace kpg {

struct WatchSettings {
  std::filesystem::path config_file;  // resolved from the op name or path
  std::filesystem::path kernels_dir;
  WatchTarget target;
  bool retune = false;       // tune (through the tuning cache) every round, not only when the grid changes
  uint64_t seed = 0;         // random inputs; 0: fresh each round
  unsigned jobs = 0;         // compile threads of a re-tune; 0: every core
  std::string arch = "sm_90";  // compile-only rounds: for spaces that name no arch
  std::function<bool()> stop_requested;  // checked between variants; may be empty
};

struct RoundOutcome {
  bool config_ok = true;  // config, shape and variants loaded
  size_t ok = 0, compile_errors = 0, input_errors = 0, wrong = 0, faults = 0, other_errors = 0;
  bool fatal = false;  // this process cannot go on (fatal_message says why)
  bool gpu_lost = false;  // a GPU fault: the process cannot use the GPU any more, a fresh one can
  std::string fatal_message;
  // 0 all ok; 2 bad input (config, flags, a kernel that does not compile, an unreadable file); 1 otherwise.
  int exit_code() const;
};

struct VariantHistory {
  std::optional<std::vector<std::string>> grid;  // candidate ids at the shape, last round
  std::optional<Candidate> tuned_choice;         // last tuned (or cached) choice, kept across kernel edits
  std::optional<TimedRun> timed;
  std::optional<double> compile_ms;
};

using RoundHistory = std::map<std::string, VariantHistory>;  // by variant name

}  // namespace kpg
