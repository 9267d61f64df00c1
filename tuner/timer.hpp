#pragma once
// Honest GPU timing: CUDA events around each repetition, L2 emptied before each one (and
// left clean, see l2_flush.hpp), repetitions adapted to the kernel's length, median reported
// with min and spread.

#include <cuda.h>

#include <functional>
#include <memory>
#include <vector>

#include "runtime/device.hpp"
#include "runtime/event.hpp"
#include "tuner/l2_flush.hpp"

namespace kpg {

struct TimingSettings {
  double warmup_ms = 10;       // at least this much GPU time of warm-up launches
  double rep_ms = 50;          // aim for this much GPU time of timed repetitions
  int min_reps = 10;
  int max_reps = 1000;
  double graph_below_us = 10;  // shorter launches are replayed from a CUDA graph
};

struct Timing {
  double median_ms = 0;
  double min_ms = 0;
  double spread_pct = 0;  // (p90 - p10) / median, in percent
  int reps = 0;
  bool graph_replay = false;
};

// Launches the work being timed on the given stream (one or several kernels).
using LaunchFn = std::function<void(CUstream)>;

class Timer {
 public:
  // Needs a current context (the flush allocates twice the L2 and loads its kernel).
  explicit Timer(const DeviceProperties& props);

  Timing time(const LaunchFn& launch, const TimingSettings& settings, CUstream stream) const;

 private:
  double time_once_ms(const LaunchFn& launch, CUstream stream) const;

  L2Flush flush_;
  Event start_, stop_;
};

// Statistics of a list of samples; exposed for tests.
Timing summarize(std::vector<double> samples_ms);

}  // namespace kpg
