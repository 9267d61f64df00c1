#pragma once
// The edit-and-see loop: a first round, then a round after every save of a watched file
// (debounced), each followed by its save-to-result latency, until Ctrl-C or SIGTERM
// (exit 0). --once runs the first round alone and returns its exit code.

#include <chrono>
#include <functional>
#include <ostream>

#include "cli/watch/watch_rounds.hpp"

namespace kpg {

struct LoopOptions {
  bool once = false;
  std::chrono::milliseconds debounce{100};
  // Skip the first round and wait for a save: the watch was restarted after a GPU fault,
  // whose kernel is still there.
  bool resume = false;
  // Called when a GPU fault made this process unusable for the GPU: should start a fresh
  // process that goes on watching (and not return). When empty, or when it returns, the
  // loop ends with exit code 1 and says why.
  std::function<void()> restart;
};

int run_watch_loop(WatchRounds& rounds, const LoopOptions& options, std::ostream& out);

}  // namespace kpg
