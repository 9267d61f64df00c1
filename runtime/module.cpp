#include "runtime/module.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <sstream>
#include <utility>

#include "runtime/driver.hpp"
#include "runtime/error.hpp"

namespace kpg {

struct Function::State {
  std::string name;
  CUfunction handle = nullptr;
  FunctionAttributes attributes;
  std::vector<size_t> parameter_sizes;
  bool parameters_known = false;  // false when the driver cannot report them
  int device_max_threads_per_block = 0;
  int device_smem_optin = 0;
  // Largest dynamic shared size this kernel may launch with so far: at first the driver's
  // default, 48 KB less the kernel's static shared memory (not 48 KB: a kernel with 256
  // static bytes failed its launch with 48 KB dynamic as "invalid argument").
  std::atomic<unsigned> configured_dynamic_shared{0};
  std::atomic<bool> non_portable_clusters{false};  // opted into clusters above 8 blocks
};

namespace {

int function_attribute(CUfunction f, CUfunction_attribute which) {
  int value = 0;
  KPG_CU_CHECK(driver().cuFuncGetAttribute(&value, which, f));
  return value;
}

int current_device_attribute(CUdevice_attribute which) {
  CUdevice device = 0;
  KPG_CU_CHECK(driver().cuCtxGetDevice(&device));
  int value = 0;
  KPG_CU_CHECK(driver().cuDeviceGetAttribute(&value, which, device));
  return value;
}

// For attributes older drivers or archs may not know (cluster dims): 0 then.
int optional_function_attribute(CUfunction f, CUfunction_attribute which) {
  int value = 0;
  return driver().cuFuncGetAttribute(&value, which, f) == CUDA_SUCCESS ? value : 0;
}

// cuLaunchKernelEx's description of `c`; `cluster` is filled and attached when the launch
// sets cluster dims.
CUlaunchConfig extended_config(const LaunchConfig& c, CUlaunchAttribute& cluster) {
  CUlaunchConfig config{};
  config.gridDimX = c.grid[0];
  config.gridDimY = c.grid[1];
  config.gridDimZ = c.grid[2];
  config.blockDimX = c.block[0];
  config.blockDimY = c.block[1];
  config.blockDimZ = c.block[2];
  config.sharedMemBytes = c.shared_bytes;
  config.hStream = c.stream;
  if (c.cluster != std::array<unsigned, 3>{1, 1, 1}) {
    cluster = CUlaunchAttribute{};
    cluster.id = CU_LAUNCH_ATTRIBUTE_CLUSTER_DIMENSION;
    cluster.value.clusterDim.x = c.cluster[0];
    cluster.value.clusterDim.y = c.cluster[1];
    cluster.value.clusterDim.z = c.cluster[2];
    config.attrs = &cluster;
    config.numAttrs = 1;
  }
  return config;
}

// Sizes of the kernel's parameters; false when the driver cannot report them.
bool query_parameter_sizes(CUfunction f, std::vector<size_t>& sizes) {
  const auto get_info = driver().cuFuncGetParamInfo;
  if (!get_info) return false;
  for (size_t i = 0;; ++i) {
    size_t offset = 0, size = 0;
    const CUresult r = get_info(f, i, &offset, &size);
    if (r == CUDA_ERROR_INVALID_VALUE) return true;  // past the last parameter
    if (r != CUDA_SUCCESS) {
      spdlog::debug("cuFuncGetParamInfo: {}; launch arguments go unchecked", cuda_error_text(r));
      sizes.clear();
      return false;
    }
    sizes.push_back(size);
  }
}

std::string dims(const std::array<unsigned, 3>& d) {
  return "(" + std::to_string(d[0]) + "," + std::to_string(d[1]) + "," + std::to_string(d[2]) + ")";
}

}  // namespace

const Function::State& Function::state() const {
  if (!state_) throw Error("kpg::Function used before being taken from a Module");
  return *state_;
}

const std::string& Function::name() const { return state().name; }
CUfunction Function::handle() const { return state().handle; }
const FunctionAttributes& Function::attributes() const { return state().attributes; }
const std::vector<size_t>& Function::parameter_sizes() const { return state().parameter_sizes; }

void Function::check_arguments(const std::vector<size_t>& sizes) const {
  if (!state().parameters_known) return;
  const auto& expected = state().parameter_sizes;
  if (expected.size() != sizes.size()) {
    throw LaunchConfigError(name() + " takes " + std::to_string(expected.size()) + " argument(s), " +
                            std::to_string(sizes.size()) + " given");
  }
  for (size_t i = 0; i < sizes.size(); ++i) {
    if (sizes[i] != expected[i]) {
      throw LaunchConfigError(name() + ": argument " + std::to_string(i) + " is " + std::to_string(sizes[i]) +
                              " bytes, the kernel's parameter is " + std::to_string(expected[i]) + " bytes");
    }
  }
}

void Function::launch_raw(const LaunchConfig& c, void** args) const {
  const State& s = state();
  if (c.grid[0] == 0 || c.grid[1] == 0 || c.grid[2] == 0) return;

  const unsigned long long threads = 1ull * c.block[0] * c.block[1] * c.block[2];
  const auto limit = static_cast<unsigned long long>(s.attributes.max_threads_per_block);
  if (threads == 0 || threads > limit) {
    std::ostringstream why;
    why << s.name << ": block " << dims(c.block) << " = " << threads << " threads; the kernel allows 1.."
        << limit << " (" << s.attributes.registers << " registers per thread, device maximum "
        << s.device_max_threads_per_block << ")";
    throw LaunchConfigError(why.str());
  }
  const auto shared_total = static_cast<long long>(s.attributes.static_shared_bytes) + c.shared_bytes;
  if (shared_total > s.device_smem_optin) {
    throw LaunchConfigError(s.name + ": " + std::to_string(s.attributes.static_shared_bytes) + " static + " +
                            std::to_string(c.shared_bytes) + " dynamic shared bytes exceed the device's " +
                            std::to_string(s.device_smem_optin) + " bytes per block");
  }
  allow_dynamic_shared(c.shared_bytes);
  allow_cluster_size(cluster_size(c));
  const bool clustered = c.cluster != std::array<unsigned, 3>{1, 1, 1};
  if (!clustered) {
    KPG_CU_CHECK(driver().cuLaunchKernel(s.handle, c.grid[0], c.grid[1], c.grid[2], c.block[0], c.block[1],
                                         c.block[2], c.shared_bytes, c.stream, args, nullptr));
    return;
  }
  for (int i = 0; i < 3; ++i) {
    if (c.cluster[i] == 0 || c.grid[i] % c.cluster[i] != 0) {
      throw LaunchConfigError(s.name + ": grid " + dims(c.grid) + " is not a multiple of cluster " + dims(c.cluster));
    }
  }
  CUlaunchAttribute attribute{};
  const CUlaunchConfig config = extended_config(c, attribute);
  KPG_CU_CHECK(driver().cuLaunchKernelEx(&config, s.handle, args, nullptr));
}

unsigned Function::cluster_size(const LaunchConfig& c) const {
  if (c.cluster != std::array<unsigned, 3>{1, 1, 1}) return c.cluster[0] * c.cluster[1] * c.cluster[2];
  const auto& r = attributes().required_cluster;
  return r[0] > 0 ? static_cast<unsigned>(r[0] * std::max(r[1], 1) * std::max(r[2], 1)) : 1;
}

int Function::max_active_clusters(const LaunchConfig& c) const {
  // Without the launch's opt-ins the driver sizes the cluster against the 48 KB default and
  // answers 0 for any block with more dynamic shared memory.
  allow_dynamic_shared(c.shared_bytes);
  allow_cluster_size(cluster_size(c));
  CUlaunchAttribute attribute{};
  const CUlaunchConfig config = extended_config(c, attribute);
  int clusters = 0;
  const CUresult r = driver().cuOccupancyMaxActiveClusters(&clusters, handle(), &config);
  if (r == CUDA_ERROR_INVALID_CLUSTER_SIZE) return 0;  // a size this device does not offer
  KPG_CU_CHECK(r);
  return clusters;
}

// The opt-in is a property of the CUfunction; raised only when a launch or an occupancy
// query needs more than it allows so far.
void Function::allow_dynamic_shared(unsigned bytes) const {
  auto& state = *state_;
  if (bytes <= state.configured_dynamic_shared.load(std::memory_order_relaxed)) return;
  KPG_CU_CHECK(driver().cuFuncSetAttribute(handle(), CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                                           static_cast<int>(bytes)));
  state.configured_dynamic_shared.store(bytes, std::memory_order_relaxed);
}

// The opt-in is a property of the CUfunction, set once, before the first launch or
// occupancy query that needs it.
void Function::allow_cluster_size(unsigned blocks) const {
  if (blocks <= kMaxPortableClusterSize || state().non_portable_clusters.load(std::memory_order_relaxed)) return;
  KPG_CU_CHECK(driver().cuFuncSetAttribute(handle(), CU_FUNC_ATTRIBUTE_NON_PORTABLE_CLUSTER_SIZE_ALLOWED, 1));
  state_->non_portable_clusters.store(true, std::memory_order_relaxed);
}

Module Module::load(const std::vector<char>& image) {
  if (image.empty()) throw Error("cannot load an empty module image");
  CUmodule module = nullptr;
  KPG_CU_CHECK(driver().cuModuleLoadData(&module, image.data()));
  Module m;
  m.module_ = decltype(m.module_)(module);
  return m;
}

Function Module::function(const std::string& name) const {
  if (!module_) throw Error("function '" + name + "' requested from an empty Module");
  auto s = std::make_shared<Function::State>();
  s->name = name;
  const CUresult r = driver().cuModuleGetFunction(&s->handle, module_.get(), name.c_str());
  if (r != CUDA_SUCCESS) {
    throw CudaError(r, "cuModuleGetFunction", "kernel '" + name + "' not found in module: " + cuda_error_text(r));
  }
  auto& a = s->attributes;
  a.registers = function_attribute(s->handle, CU_FUNC_ATTRIBUTE_NUM_REGS);
  a.static_shared_bytes = function_attribute(s->handle, CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES);
  s->configured_dynamic_shared =
      static_cast<unsigned>(function_attribute(s->handle, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES));
  a.const_bytes = function_attribute(s->handle, CU_FUNC_ATTRIBUTE_CONST_SIZE_BYTES);
  a.local_bytes = function_attribute(s->handle, CU_FUNC_ATTRIBUTE_LOCAL_SIZE_BYTES);
  a.max_threads_per_block = function_attribute(s->handle, CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK);
  a.ptx_version = function_attribute(s->handle, CU_FUNC_ATTRIBUTE_PTX_VERSION);
  a.binary_version = function_attribute(s->handle, CU_FUNC_ATTRIBUTE_BINARY_VERSION);
  a.required_cluster = {optional_function_attribute(s->handle, CU_FUNC_ATTRIBUTE_REQUIRED_CLUSTER_WIDTH),
                        optional_function_attribute(s->handle, CU_FUNC_ATTRIBUTE_REQUIRED_CLUSTER_HEIGHT),
                        optional_function_attribute(s->handle, CU_FUNC_ATTRIBUTE_REQUIRED_CLUSTER_DEPTH)};
  s->parameters_known = query_parameter_sizes(s->handle, s->parameter_sizes);
  s->device_max_threads_per_block = current_device_attribute(CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK);
  s->device_smem_optin = current_device_attribute(CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN);
  return Function(std::move(s));
}

namespace detail {
void unload_module(CUmodule module) noexcept { warn_on_failure("cuModuleUnload", driver().cuModuleUnload(module)); }
}  // namespace detail

}  // namespace kpg
