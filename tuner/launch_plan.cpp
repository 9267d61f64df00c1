#include "tuner/launch_plan.hpp"

#include <cstring>
#include <limits>
#include <sstream>

#include "runtime/error.hpp"

namespace kpg {
namespace {

template <class T>
uint64_t to_slot(T value) {
  static_assert(sizeof(T) <= sizeof(uint64_t));
  uint64_t slot = 0;
  std::memcpy(&slot, &value, sizeof(T));
  return slot;
}

int32_t checked_int32(int64_t v, const std::string& what) {
  if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max())
    throw Error(what + " = " + std::to_string(v) + " does not fit the kernel's int32 argument");
  return static_cast<int32_t>(v);
}

std::array<unsigned, 3> eval_dim3(const std::vector<Expr>& exprs, const Scope& scope,
                                  const std::string& what) {
  std::array<unsigned, 3> d{1, 1, 1};
  for (size_t i = 0; i < exprs.size() && i < 3; ++i) {
    const int64_t v = exprs[i].eval_int(scope);
    if (v < 0 || v > std::numeric_limits<unsigned>::max())
      throw Error(what + " dimension " + std::to_string(i) + " = " + std::to_string(v) + " is out of range");
    d[i] = static_cast<unsigned>(v);
  }
  return d;
}

}  // namespace

LaunchBinding workload_binding(const Workload& workload) {
  LaunchBinding b;
  for (const auto& spec : workload.config().buffers) b.buffers[spec.name] = workload.buffer(spec.name).ptr();
  b.scalars = workload.scalars();
  return b;
}

LaunchPlan::LaunchPlan(const SpaceSpec& space, const Candidate& candidate, const Workload& workload,
                       const DeviceLimits& limits, const Module& module)
    : LaunchPlan(space, candidate, workload.shape(), workload_binding(workload), limits, module) {}

LaunchPlan::LaunchPlan(const SpaceSpec& space, const Candidate& candidate, const Shape& shape,
                       const LaunchBinding& binding, const DeviceLimits& limits, const Module& module) {
  const Scope scope = make_scope(shape, candidate.params, limits);
  for (const auto& launch : space.launches) {
    Step step{module.function(launch.kernel), {}, {}, {}};
    step.config.grid = eval_dim3(launch.grid, scope, launch.kernel + " grid");
    step.config.block = eval_dim3(launch.block, scope, launch.kernel + " block");
    step.config.shared_bytes = static_cast<unsigned>(launch.shared_bytes.eval_int(scope));
    for (const auto& arg : launch.args) {
      switch (arg.kind) {
        case ArgSpec::buffer:
        case ArgSpec::scalar_name:
          named_args_.push_back({arg.name, arg.kind == ArgSpec::scalar_name});
          named_slots_.push_back({steps_.size(), step.arg_slots.size()});
          step.arg_slots.push_back(0);  // set by rebind() below
          break;
        case ArgSpec::int32_name: {
          const auto it = scope.find(arg.name);
          if (it == scope.end()) throw Error("argument '" + arg.name + "' is not a dim or param");
          step.arg_slots.push_back(to_slot(checked_int32(static_cast<int64_t>(it->second), arg.name)));
          break;
        }
        case ArgSpec::i32:
          step.arg_slots.push_back(to_slot(checked_int32(arg.value->eval_int(scope), launch.kernel + " argument")));
          break;
        case ArgSpec::i64:
          step.arg_slots.push_back(to_slot(arg.value->eval_int(scope)));
          break;
        case ArgSpec::f32:
          step.arg_slots.push_back(to_slot(static_cast<float>(arg.value->eval(scope))));
          break;
      }
    }
    steps_.push_back(std::move(step));
  }
  for (auto& step : steps_)
    for (auto& slot : step.arg_slots) step.arg_pointers.push_back(&slot);
  rebind(binding);
}

void LaunchPlan::set_pointer(size_t index, CUdeviceptr pointer) {
  if (named_args_.at(index).scalar) throw Error("argument '" + named_args_[index].name + "' is a scalar, not a buffer");
  const SlotRef& at = named_slots_[index];
  steps_[at.step].arg_slots[at.slot] = to_slot(pointer);
}

void LaunchPlan::set_scalar(size_t index, double value) {
  if (!named_args_.at(index).scalar) throw Error("argument '" + named_args_[index].name + "' is a buffer, not a scalar");
  const SlotRef& at = named_slots_[index];
  steps_[at.step].arg_slots[at.slot] = to_slot(static_cast<float>(value));
}

void LaunchPlan::rebind(const LaunchBinding& binding) {
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

void LaunchPlan::launch(CUstream stream) const {
  for (const auto& step : steps_) {
    LaunchConfig cfg = step.config;
    cfg.stream = stream;
    step.function.launch_raw(cfg, step.arg_pointers.data());
  }
}

std::optional<std::string> LaunchPlan::resource_problem(const DeviceProperties& props) const {
  for (const auto& step : steps_) {
    const auto& a = step.function.attributes();
    const auto& b = step.config.block;
    const int64_t threads = int64_t{b[0]} * b[1] * b[2];
    std::ostringstream why;
    if (threads > a.max_threads_per_block)
      why << step.function.name() << ": " << threads << " threads per block, the compiled kernel allows "
          << a.max_threads_per_block << " (" << a.registers << " registers per thread)";
    else if (a.static_shared_bytes + int64_t{step.config.shared_bytes} > props.smem_per_block_optin)
      why << step.function.name() << ": " << a.static_shared_bytes + step.config.shared_bytes
          << " bytes of shared memory, the device allows " << props.smem_per_block_optin;
    else if (int64_t{a.registers} * threads > props.regs_per_block)
      why << step.function.name() << ": " << a.registers << " registers x " << threads
          << " threads exceeds " << props.regs_per_block;
    else if (const unsigned cluster = step.function.cluster_size(step.config);
             cluster > 1 && step.function.max_active_clusters(step.config) == 0)
      why << step.function.name() << ": a cluster of " << cluster << " blocks of " << threads
          << " threads cannot be scheduled on this device (cuOccupancyMaxActiveClusters is 0)";
    if (!why.str().empty()) return why.str();
  }
  return std::nullopt;
}

std::string LaunchPlan::describe() const {
  std::ostringstream os;
  for (const auto& s : steps_) {
    const auto& g = s.config.grid;
    const auto& b = s.config.block;
    os << (os.tellp() > 0 ? "; " : "") << s.function.name() << "<<<(" << g[0] << "," << g[1] << "," << g[2]
       << "),(" << b[0] << "," << b[1] << "," << b[2] << ")," << s.config.shared_bytes << ">>>";
  }
  return os.str();
}

}  // namespace kpg
