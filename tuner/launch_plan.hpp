#pragma once
// One compiled candidate bound to buffers at one shape: its kernels looked up, block, grid
// and shared memory evaluated for the shape, argument values packed once (LaunchArgs).
// Launching it is then a loop of raw launches, cheap enough to time. The buffers are a
// Workload's (the tuner) or any device pointers by name (the library); rebinding them
// changes only the pointer, scalar and tensor-map slots, so one plan serves every launch
// at its shape.

#include <cuda.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "runtime/device.hpp"
#include "runtime/module.hpp"
#include "runtime/tensor_map.hpp"
#include "tuner/config.hpp"
#include "tuner/launch_args.hpp"
#include "tuner/space.hpp"
#include "tuner/workload.hpp"

namespace kpg {

class LaunchPlan {
 public:
  // `module` must outlive the plan (its functions are borrowed). Throws Error naming the
  // buffer or scalar an argument needs that `binding` lacks, a tensor map the driver
  // refuses, or a tensor map passed where the kernel's parameter is not 128 bytes (when the
  // driver reports parameter sizes).
  LaunchPlan(const SpaceSpec& space, const Candidate& candidate, const Shape& shape,
             const LaunchBinding& binding, const DeviceLimits& limits, const Module& module,
             TensorMapEncoder encode = encode_tensor_map);
  // Bound to the workload's buffers and scalars.
  LaunchPlan(const SpaceSpec& space, const Candidate& candidate, const Workload& workload,
             const DeviceLimits& limits, const Module& module);
  LaunchPlan(const LaunchPlan&) = delete;
  LaunchPlan& operator=(const LaunchPlan&) = delete;
  LaunchPlan(LaunchPlan&&) = default;

  void launch(CUstream stream) const;

  // The arguments that take a buffer's pointer (directly or in a tensor map) or a scalar's
  // value, in launch order: what rebinding rewrites (LaunchArgs).
  using NamedArg = LaunchArgs::NamedArg;
  const std::vector<NamedArg>& named_args() const { return args_.named_args(); }
  // Rewrites named argument `index` (of named_args()); std::out_of_range past the end,
  // Error when it is the other kind. A tensor map's buffer is re-encoded into its map.
  void set_pointer(size_t index, CUdeviceptr pointer) { args_.set_pointer(index, pointer); }
  void set_scalar(size_t index, double value) { args_.set_scalar(index, value); }
  // Every named argument from `binding`; throws Error naming the first one it lacks.
  void rebind(const LaunchBinding& binding) { args_.rebind(binding); }

  // Why this candidate cannot run on the device after all (threads, shared memory or
  // registers × threads over the limits the compiled code reveals, or a thread-block
  // cluster the device cannot schedule, e.g. 16 blocks where only 8 fit), if it cannot.
  std::optional<std::string> resource_problem(const DeviceProperties& props) const;

  // A one-line description of every launch: "softmax_warp<<<(1024,1,1),(128,1,1),0>>>",
  // followed by its tensor maps when it takes any: "...>>>(tmap(x,[64,128],sw128))".
  std::string describe() const;

 private:
  struct Step {
    Function function;
    LaunchConfig config;
  };
  LaunchArgs args_;
  std::vector<Step> steps_;  // one per launch of args_
};

// The binding of a workload: every buffer's pointer, every scalar's value.
LaunchBinding workload_binding(const Workload& workload);

}  // namespace kpg
