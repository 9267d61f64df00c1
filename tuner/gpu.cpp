#include "tuner/gpu.hpp"

namespace kpg {

Gpu::Gpu(int ordinal) : device_(ordinal), context_(device_), stream_() {}

const Timer& Gpu::timer() const {
  const std::lock_guard lock(timer_mutex_);
  if (!timer_) {
    context_.make_current();
    timer_ = std::make_unique<Timer>(device_.props());
  }
  return *timer_;
}

bool Gpu::has_timer() const {
  const std::lock_guard lock(timer_mutex_);
  return timer_ != nullptr;
}

DeviceLimits Gpu::limits() const {
  const auto& p = props();
  DeviceLimits l;
  l.max_threads_per_block = p.max_threads_per_block;
  l.smem_optin = p.smem_per_block_optin;
  l.regs_per_block = p.regs_per_block;
  l.sm_count = p.sm_count;
  l.l2_bytes = p.l2_bytes;
  l.compute_capability = p.cc_major * 10 + p.cc_minor;
  return l;
}

std::string Gpu::cache_identity() const { return device_identity(props()); }

std::string device_identity(const DeviceProperties& p) {
  return p.name + "|" + p.arch() + "|" + std::to_string(p.sm_count);
}

DeviceLimits h100_limits() { return DeviceLimits{}; }

}  // namespace kpg
