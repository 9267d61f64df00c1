#include "tuner/launch_plan.hpp"

#include <limits>
#include <sstream>
#include <utility>

#include "runtime/error.hpp"

namespace kpg {
namespace {

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
                       const LaunchBinding& binding, const DeviceLimits& limits, const Module& module,
                       TensorMapEncoder encode)
    : args_(space, candidate, shape, binding, limits, std::move(encode)) {
  const Scope scope = make_scope(shape, candidate.params, limits);
  for (size_t i = 0; i < space.launches.size(); ++i) {
    const LaunchSpec& launch = space.launches[i];
    Step step{module.function(launch.kernel), {}};
    step.config.grid = eval_dim3(launch.grid, scope, launch.kernel + " grid");
    step.config.block = eval_dim3(launch.block, scope, launch.kernel + " block");
    step.config.shared_bytes = static_cast<unsigned>(launch.shared_bytes.eval_int(scope));
    // A map passed to a smaller parameter would be cut short without a word from the driver.
    const auto& sizes = step.function.parameter_sizes();
    for (size_t position : args_.tensor_map_positions(i))
      if (!sizes.empty() && (position >= sizes.size() || sizes[position] != sizeof(CUtensorMap)))
        throw Error(launch.kernel + ": argument " + std::to_string(position) + " is a tensor map (" +
                    std::to_string(sizeof(CUtensorMap)) + " bytes) but the kernel's parameter " +
                    (position >= sizes.size() ? std::string("does not exist")
                                              : "is " + std::to_string(sizes[position]) + " bytes") +
                    "; declare it `const __grid_constant__ CUtensorMap`");
    steps_.push_back(std::move(step));
  }
}

void LaunchPlan::launch(CUstream stream) const {
  args_.check_bound();
  for (size_t i = 0; i < steps_.size(); ++i) {
    LaunchConfig cfg = steps_[i].config;
    cfg.stream = stream;
    steps_[i].function.launch_raw(cfg, args_.pointers(i));
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
  for (size_t i = 0; i < steps_.size(); ++i) {
    const Step& s = steps_[i];
    const auto& g = s.config.grid;
    const auto& b = s.config.block;
    os << (os.tellp() > 0 ? "; " : "") << s.function.name() << "<<<(" << g[0] << "," << g[1] << "," << g[2]
       << "),(" << b[0] << "," << b[1] << "," << b[2] << ")," << s.config.shared_bytes << ">>>";
    if (const std::string maps = args_.describe_tensor_maps(i); !maps.empty()) os << "(" << maps << ")";
  }
  return os.str();
}

}  // namespace kpg
