#pragma once
// One compiled candidate bound to buffers at one shape: its kernels looked up, block, grid
// and shared memory evaluated for the shape, argument values packed once. Launching it is
// then a loop of raw launches, cheap enough to time. The buffers are a Workload's (the
// tuner) or any device pointers by name (the library); rebinding them changes only the
// pointer and scalar slots, so one plan serves every launch at its shape.

#include <cuda.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "runtime/device.hpp"
#include "runtime/module.hpp"
#include "tuner/config.hpp"
#include "tuner/space.hpp"
#include "tuner/workload.hpp"

namespace kpg {

// What a plan's launches take besides dims and params: a device pointer for every buffer
// they name and a value for every `scalars:` entry they name (passed to kernels as f32).
struct LaunchBinding {
  std::map<std::string, CUdeviceptr> buffers;
  std::map<std::string, double> scalars;
};

class LaunchPlan {
 public:
  // `module` must outlive the plan (its functions are borrowed). Throws Error naming the
  // buffer or scalar an argument needs that `binding` lacks.
  LaunchPlan(const SpaceSpec& space, const Candidate& candidate, const Shape& shape,
             const LaunchBinding& binding, const DeviceLimits& limits, const Module& module);
  // Bound to the workload's buffers and scalars.
  LaunchPlan(const SpaceSpec& space, const Candidate& candidate, const Workload& workload,
             const DeviceLimits& limits, const Module& module);
  LaunchPlan(const LaunchPlan&) = delete;
  LaunchPlan& operator=(const LaunchPlan&) = delete;
  LaunchPlan(LaunchPlan&&) = default;

  void launch(CUstream stream) const;

  // The arguments that take a buffer's pointer or a scalar's value, in launch order (a
  // buffer passed to two kernels appears twice): what rebinding rewrites.
  struct NamedArg {
    std::string name;
    bool scalar = false;
  };
  const std::vector<NamedArg>& named_args() const { return named_args_; }
  // Rewrites named argument `index` (of named_args()); std::out_of_range past the end,
  // Error when it is the other kind.
  void set_pointer(size_t index, CUdeviceptr pointer);
  void set_scalar(size_t index, double value);
  // Every named argument from `binding`; throws Error naming the first one it lacks.
  void rebind(const LaunchBinding& binding);

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
  struct SlotRef {
    size_t step, slot;
  };
  std::vector<Step> steps_;
  std::vector<NamedArg> named_args_;
  std::vector<SlotRef> named_slots_;  // where each named argument's value lives
};

// The binding of a workload: every buffer's pointer, every scalar's value.
LaunchBinding workload_binding(const Workload& workload);

}  // namespace kpg
