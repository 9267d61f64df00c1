#pragma once
// Honest GPU timing of a launch: its time includes the write-back of what it wrote.
// Each repetition, on the launch's stream:
//   hold e0 reference read e1 launch e2 flush e3        (l2_flush.hpp)
// The launch starts from a clean L2 that holds none of its data; the flush after it writes
// back what the launch left dirty, and its excess over the reference read is charged to the
// launch: sample = (e2 - e1) + max(0, (e3 - e2) - (e1 - e0)) (timing_method.hpp). The flush
// also leaves L2 clean for the next repetition. Short launches are replayed from a CUDA
// graph; the GPU is held back before every repetition, longer when the host needs long to
// enqueue the launch (a Python callable), so that no host gap falls inside the timed
// intervals. docs/design/timing.md gives the reasons.

#include <cuda.h>

#include <functional>

#include "runtime/device.hpp"
#include "runtime/event.hpp"
#include "tuner/l2_flush.hpp"
#include "tuner/timing_method.hpp"

namespace kpg {

// Launches the work being timed on the given stream (one or several kernels, any launcher:
// kpg's own, or a callback from another language that enqueues on that stream). It must
// not synchronise the stream. With graph replay it is captured once
// (cuStreamBeginCapture): work that cannot be captured needs graph_below_us = 0. On the
// legacy default stream (nullptr), which cannot be captured, launches are never replayed.
using LaunchFn = std::function<void(CUstream)>;

class Timer {
 public:
  // Needs a current context (allocates the two read buffers, loads the PTX kernels).
  explicit Timer(const DeviceProperties& props);

  Timing time(const LaunchFn& launch, const TimingSettings& settings, CUstream stream) const;

  // One repetition, not warmed up and without graph or hold (for tests and diagnostics).
  RepTimes rep(const LaunchFn& launch, CUstream stream) const;

  // The kernels of the timer, for the same-bytes copy (same_bytes_copy.hpp).
  const StreamKernels& kernels() const { return l2_.kernels(); }
  // Bytes the reference read and the flush each read.
  size_t read_bytes() const { return l2_.read_bytes(); }

 private:
  L2Flush l2_;
  Event events_[4];  // e0..e3 of a repetition
};

}  // namespace kpg
