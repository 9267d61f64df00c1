#pragma once
// The GPU a command works on: device, primary context, a stream and a timer, opened
// once per command. Constructing it is what fails, with one clear line, without a driver.
// The timer is built on first use: its L2-flush buffers take four times the L2, which a
// program that only launches kernels (the library) must not pay for.

#include <memory>
#include <mutex>
#include <string>

#include "runtime/context.hpp"
#include "runtime/device.hpp"
#include "runtime/stream.hpp"
#include "tuner/space.hpp"
#include "tuner/timer.hpp"

namespace kpg {

class Gpu {
 public:
  explicit Gpu(int ordinal = 0);

  const DeviceProperties& props() const { return device_.props(); }
  const Device& device() const { return device_; }
  CUstream stream() const { return stream_.get(); }
  // The device's primary context, retained for the Gpu's life.
  CUcontext context() const { return context_.get(); }
  // Built on the first call (thread-safe), with this GPU's context made current.
  const Timer& timer() const;
  // Whether timer() has built the timer (and its buffers) yet.
  bool has_timer() const;
  DeviceLimits limits() const;
  // What identifies the card in tuning-cache keys: "NVIDIA H100 80GB HBM3|sm_90|132".
  std::string cache_identity() const;
  void synchronize() const { stream_.synchronize(); }

 private:
  Device device_;
  Context context_;
  Stream stream_;
  mutable std::mutex timer_mutex_;
  mutable std::unique_ptr<Timer> timer_;
};

// "NVIDIA H100 80GB HBM3|sm_90|132": cards with the same identity share tuning records.
std::string device_identity(const DeviceProperties& props);

// Device limits of a card we do not have, for `kpg compile --all` without a GPU.
DeviceLimits h100_limits();

}  // namespace kpg
