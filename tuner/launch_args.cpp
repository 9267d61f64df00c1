#include "tuner/launch_args.hpp"

#include <cstring>
#include <limits>

#include "runtime/error.hpp"
#include "tuner/tensor_map_arg.hpp"

namespace kpg {
namespace {

constexpr CUdeviceptr kTensorMapAddressAlign = 16;  // the driver's rule for a tensor map's global address

int32_t checked_int32(int64_t v, const std::string& what) {
  if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max())
    throw Error(what + " = " + std::to_string(v) + " does not fit the kernel's int32 argument");
  return static_cast<int32_t>(v);
}

}  // namespace

LaunchArgs::LaunchArgs(const SpaceSpec& space, const Candidate& candidate, const Shape& shape,
                       const LaunchBinding& binding, const DeviceLimits& limits, TensorMapEncoder encode)
    : encode_(std::move(encode)) {
  const Scope scope = make_scope(shape, candidate.params, limits);
  for (const auto& launch : space.launches) {
    Launch packed;
    for (const auto& arg : launch.args) {
      const size_t slot = packed.slots.size();
      auto& bytes = packed.slots.emplace_back().bytes;
      const auto put = [&](auto value) { std::memcpy(bytes, &value, sizeof value); };
      switch (arg.kind) {
        case ArgSpec::buffer:
        case ArgSpec::scalar_name:
          named_args_.push_back({arg.name, arg.kind == ArgSpec::scalar_name, false});
          named_.push_back({launches_.size(), slot, std::nullopt, 0});
          break;  // set by rebind() below
        case ArgSpec::tensor_map: {
          TensorMapLayout layout = tensor_map_layout(arg, shape, scope);
          if (const auto why = tensor_map_problem(layout))
            throw Error(launch.kernel + ": tensor map of " + arg.name + ": " + *why);
          packed.tensor_maps_text += (packed.tensor_maps.empty() ? "" : ",") + describe_tensor_map(arg.name, layout);
          packed.tensor_maps.push_back(slot);
          named_args_.push_back({arg.name, false, true});
          named_.push_back({launches_.size(), slot, std::move(layout), 0});
          ++unbound_maps_;
          break;
        }
        case ArgSpec::int32_name: {
          const auto it = scope.find(arg.name);
          if (it == scope.end()) throw Error("argument '" + arg.name + "' is not a dim or param");
          put(checked_int32(static_cast<int64_t>(it->second), arg.name));
          break;
        }
        case ArgSpec::i32:
          put(checked_int32(arg.value->eval_int(scope), launch.kernel + " argument"));
          break;
        case ArgSpec::i64:
          put(arg.value->eval_int(scope));
          break;
        case ArgSpec::f32:
          put(static_cast<float>(arg.value->eval(scope)));
          break;
      }
    }
    launches_.push_back(std::move(packed));
  }
  for (auto& launch : launches_)
    for (auto& slot : launch.slots) launch.pointers.push_back(slot.bytes);
  rebind(binding);
}

std::string LaunchArgs::describe_tensor_maps(size_t launch) const { return launches_.at(launch).tensor_maps_text; }

void LaunchArgs::set_pointer(size_t index, CUdeviceptr pointer) {
  const NamedArg& arg = named_args_.at(index);
  if (arg.scalar) throw Error("argument '" + arg.name + "' is a scalar, not a buffer");
  Named& n = named_[index];
  Slot& slot = slot_of(n);
  if (!n.map) {
    std::memcpy(slot.bytes, &pointer, sizeof pointer);
    return;
  }
  if (n.encoded_for != 0 && n.encoded_for == pointer) return;  // the map holds this address already
  if (pointer % kTensorMapAddressAlign != 0)
    throw Error("tensor map of buffer '" + arg.name + "': device pointer " + std::to_string(pointer) +
                " is not 16-byte aligned (TMA needs a 16-byte aligned global address)");
  // Unbound until the new map is in: a failed encode leaves no map of the old buffer behind.
  if (n.encoded_for != 0) ++unbound_maps_;
  n.encoded_for = 0;
  slot = Slot{};
  if (pointer == 0) return;
  CUtensorMap map{};
  encode_(*n.map, pointer, map);
  std::memcpy(slot.bytes, &map, sizeof map);
  n.encoded_for = pointer;
  --unbound_maps_;
}

void LaunchArgs::set_scalar(size_t index, double value) {
  const NamedArg& arg = named_args_.at(index);
  if (!arg.scalar) throw Error("argument '" + arg.name + "' is a buffer, not a scalar");
  const auto f = static_cast<float>(value);
  std::memcpy(slot_of(named_[index]).bytes, &f, sizeof f);
}

void LaunchArgs::rebind(const LaunchBinding& binding) {
  for (size_t i = 0; i < named_args_.size(); ++i) {
    const NamedArg& arg = named_args_[i];
    if (arg.scalar) {
      const auto it = binding.scalars.find(arg.name);
      if (it == binding.scalars.end()) throw Error("argument '" + arg.name + "': no value for this scalar");
      set_scalar(i, it->second);
    } else {
      const auto it = binding.buffers.find(arg.name);
      if (it == binding.buffers.end()) throw Error("argument '" + arg.name + "': no pointer for this buffer");
      set_pointer(i, it->second);
    }
  }
}

void LaunchArgs::check_bound() const {
  if (unbound_maps_ == 0) return;
  for (size_t i = 0; i < named_.size(); ++i)
    if (named_[i].map && named_[i].encoded_for == 0)
      throw Error("tensor map of buffer '" + named_args_[i].name + "' has no buffer bound (a null pointer)");
}

}  // namespace kpg
