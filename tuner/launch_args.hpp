#pragma once
// The argument values of a plan's launches at one shape and candidate, packed once so that
// cuLaunchKernel reads them in place. Every argument has a 128-byte slot aligned as a
// CUtensorMap (the driver needs 64 bytes; cuda.h asks 128): a tensor map fills one, a
// pointer, int or float its first bytes. Rebinding
// rewrites only the slots of named arguments (buffers and scalars). A tensor map is encoded
// when its buffer is bound and again whenever that buffer's pointer changes, since the
// address is inside the map. Needs no GPU: maps are encoded by the encoder it is given.

#include <cuda.h>

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "runtime/tensor_map.hpp"
#include "tuner/config.hpp"
#include "tuner/scope.hpp"
#include "tuner/space.hpp"

namespace kpg {

// What a plan's launches take besides dims and params: a device pointer for every buffer
// they name and a value for every `scalars:` entry they name (passed to kernels as f32).
struct LaunchBinding {
  std::map<std::string, CUdeviceptr> buffers;
  std::map<std::string, double> scalars;
};

class LaunchArgs {
 public:
  // Evaluates every argument of the space's launches. Throws Error for a value out of its
  // type's range or a tensor map the driver would refuse, and as rebind() does.
  LaunchArgs(const SpaceSpec& space, const Candidate& candidate, const Shape& shape, const LaunchBinding& binding,
             const DeviceLimits& limits, TensorMapEncoder encode);

  size_t launch_count() const { return launches_.size(); }
  // cuLaunchKernel's kernelParams of launch `i`: one pointer per argument, into its slot.
  void** pointers(size_t launch) const { return launches_.at(launch).pointers.data(); }
  // The positions of launch `i`'s tensor-map arguments (each must meet a 128-byte parameter).
  const std::vector<size_t>& tensor_map_positions(size_t launch) const { return launches_.at(launch).tensor_maps; }
  // Launch `i`'s tensor maps, "tmap(x,[64,128],sw128),tmap(y,[64,128],sw128)"; "" when none.
  std::string describe_tensor_maps(size_t launch) const;

  // The arguments that take a buffer's pointer (directly or inside a tensor map) or a
  // scalar's value, in launch order (a buffer passed twice appears twice): what rebinding
  // rewrites.
  struct NamedArg {
    std::string name;
    bool scalar = false;
    bool tensor_map = false;
  };
  const std::vector<NamedArg>& named_args() const { return named_args_; }
  // Rewrites named argument `index`; std::out_of_range past the end, Error when it is the
  // other kind. A tensor map is re-encoded when the pointer differs from the one it holds;
  // its pointer must be 16-byte aligned (Error otherwise), and a null one leaves the map
  // unbound until a pointer comes.
  void set_pointer(size_t index, CUdeviceptr pointer);
  void set_scalar(size_t index, double value);
  // Every named argument from `binding`; throws Error naming the first one it lacks.
  void rebind(const LaunchBinding& binding);
  // Throws Error naming a tensor map that has no buffer yet (bound to a null pointer).
  void check_bound() const;

 private:
  struct alignas(alignof(CUtensorMap)) Slot {
    unsigned char bytes[sizeof(CUtensorMap)] = {};
  };
  static_assert(sizeof(Slot) == 128 && alignof(Slot) % 64 == 0, "a CUtensorMap is 128 bytes, at least 64-byte aligned");
  struct Launch {
    std::vector<Slot> slots;
    mutable std::vector<void*> pointers;
    std::vector<size_t> tensor_maps;
    std::string tensor_maps_text;
  };
  struct Named {
    size_t launch = 0, slot = 0;
    std::optional<TensorMapLayout> map;  // set for a tensor map
    CUdeviceptr encoded_for = 0;         // the address its map holds; 0: unbound
  };
  Slot& slot_of(const Named& n) { return launches_[n.launch].slots[n.slot]; }

  TensorMapEncoder encode_;
  std::vector<Launch> launches_;
  std::vector<NamedArg> named_args_;
  std::vector<Named> named_;  // parallel to named_args_
  size_t unbound_maps_ = 0;
};

}  // namespace kpg
