#pragma once
// The edit-and-see loop: a first round, then a round after every save of a watched file
// (debounced), each followed by its save-to-result latency, until Ctrl-C or SIGTERM
// (exit 0). --once runs the first round alone and returns its exit code.

#include <chrono>
#include <ostream>

#include "cli/watch/watch_rounds.hpp"

namespace kpg {

struct LoopOptions {
  bool once = false;
  std::chrono::milliseconds debounce{100};
};

int run_watch_loop(WatchRounds& rounds, const LoopOptions& options, std::ostream& out);

}  // namespace kpg
