#pragma once
// Honest GPU timing: CUDA events around each repetition, L2 flushed before each one,
// repetitions adapted to the kernel's length, median reported with min and spread.

#include <cuda.h>

#include <functional>
#include <memory>
#include <vector>

#include "runtime/buffer.hpp"
#include "runtime/device.hpp"
#include "runtime/event.hpp"

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
  // The flush buffer is twice the device's L2 so that nothing of the previous
  // repetition stays cached.
  explicit Timer(const DeviceProperties& props);

  Timing time(const LaunchFn& launch, const TimingSettings& settings, CUstream stream) const;

 private:
  void flush_l2(CUstream stream) const;
  double time_once_ms(const LaunchFn& launch, CUstream stream) const;

  mutable DeviceBuffer flush_;  // written by every flush, content irrelevant
  Event start_, stop_;
};

// Statistics of a list of samples; exposed for tests.
Timing summarize(std::vector<double> samples_ms);

}  // namespace kpg
