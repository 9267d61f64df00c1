#pragma once
// One compiled candidate bound to one workload: its kernels looked up, block, grid and
// shared memory evaluated for the shape, argument values packed once. Launching it
// is then a loop of raw launches, cheap enough to time.

#include <cuda.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "runtime/device.hpp"
#include "runtime/module.hpp"
#include "tuner/config.hpp"
#include "tuner/space.hpp"
#include "tuner/workload.hpp"

namespace kpg {

class LaunchPlan {
 public:
  // `module` must outlive the plan (its functions are borrowed).
  LaunchPlan(const SpaceSpec& space, const Candidate& candidate, const Workload& workload,
             const DeviceLimits& limits, const Module& module);
  LaunchPlan(const LaunchPlan&) = delete;
  LaunchPlan& operator=(const LaunchPlan&) = delete;
  LaunchPlan(LaunchPlan&&) = default;

  void launch(CUstream stream) const;

  // Why this candidate cannot run on the device after all (threads, shared memory or
  // registers × threads over the limits the compiled code reveals, or a thread-block
  // cluster the device cannot schedule, e.g. 16 blocks where only 8 fit), if it cannot.
  std::optional<std::string> resource_problem(const DeviceProperties& props) const;

  // A one-line description of every launch: "softmax_warp<<<(1024,1,1),(128,1,1),0>>>".
  std::string describe() const;

 private:
  struct Step {
    Function function;
    LaunchConfig config;
    std::vector<uint64_t> arg_slots;  // each argument's bytes, 8-byte aligned
    mutable std::vector<void*> arg_pointers;
  };
  std::vector<Step> steps_;
};

}  // namespace kpg
