#pragma once
// A loaded module (cubin or PTX image) and the kernels in it, with type-safe launches.

#include <cuda.h>

#include <array>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "runtime/unique_handle.hpp"

namespace kpg {

// What the compiled kernel needs per launch, from cuFuncGetAttribute.
struct FunctionAttributes {
  int registers = 0;              // per thread
  int static_shared_bytes = 0;    // per block, declared in the kernel
  int const_bytes = 0;
  int local_bytes = 0;            // per thread (stack + spills)
  int max_threads_per_block = 0;  // limited by registers
  int ptx_version = 0;            // 90 = 9.0
  int binary_version = 0;
  std::array<int, 3> required_cluster{0, 0, 0};  // the kernel's __cluster_dims__; 0,0,0 = none
};

// Thread-block clusters of more blocks than this are non-portable (H100: up to 16); the
// runtime opts a kernel into them (CU_FUNC_ATTRIBUTE_NON_PORTABLE_CLUSTER_SIZE_ALLOWED).
constexpr unsigned kMaxPortableClusterSize = 8;

struct LaunchConfig {
  std::array<unsigned, 3> grid{1, 1, 1};
  std::array<unsigned, 3> block{1, 1, 1};
  unsigned shared_bytes = 0;  // dynamic shared memory per block
  CUstream stream = nullptr;
  std::array<unsigned, 3> cluster{1, 1, 1};  // thread-block cluster (sm_90); 1,1,1 = none
};

// A kernel in a loaded Module. Cheap to copy; copies share the kernel's configured
// shared-memory opt-in. A Function must not outlive the Module it came from.
class Function {
 public:
  Function() = default;

  const std::string& name() const;
  CUfunction handle() const;
  const FunctionAttributes& attributes() const;

  // args: one pointer per kernel parameter, pointing at its value (cuLaunchKernel's kernelParams).
  // A grid with a zero dimension launches nothing. Throws LaunchConfigError for a block or
  // shared-memory size the kernel or device cannot run, CudaError if the driver rejects it.
  // Dynamic shared memory above 48 KB is opted into automatically.
  void launch_raw(const LaunchConfig& config, void** args) const;

  // Type-safe launch: the argument count and sizes are checked against the kernel's
  // parameters when the driver can report them (CUDA 12.4+).
  template <class... A>
  void launch(const LaunchConfig& config, const A&... args) const {
    static_assert((std::is_trivially_copyable_v<A> && ...),
                  "kernel arguments must be trivially copyable (pass buffer.ptr(), not the buffer)");
    void* pointers[] = {const_cast<void*>(static_cast<const void*>(&args))..., nullptr};
    check_arguments({sizeof(A)...});
    launch_raw(config, pointers);
  }

  // Parameter sizes in bytes, when the driver reports them (empty otherwise).
  const std::vector<size_t>& parameter_sizes() const;

  // Blocks per cluster of a launch with `config`: its cluster dims when set, else the
  // kernel's __cluster_dims__, else 1.
  unsigned cluster_size(const LaunchConfig& config) const;
  // Clusters of `config` that can be resident at once (cuOccupancyMaxActiveClusters);
  // 0 when this device cannot schedule such a cluster at all (also for a cluster size the
  // driver rejects as unsupported). Needs a current context.
  int max_active_clusters(const LaunchConfig& config) const;

 private:
  friend class Module;
  struct State;
  explicit Function(std::shared_ptr<State> state) : state_(std::move(state)) {}
  void check_arguments(const std::vector<size_t>& sizes) const;
  void allow_dynamic_shared(unsigned bytes) const;
  void allow_cluster_size(unsigned blocks) const;
  const State& state() const;

  std::shared_ptr<State> state_;
};

namespace detail {
void unload_module(CUmodule module) noexcept;  // cuModuleUnload, a failure logged
}  // namespace detail

// Owns a CUmodule. Move-only; needs a current context. Function objects taken from a
// Module must not be used after the Module is destroyed (their CUfunction dies with it).
class Module {
 public:
  // A cubin, or a NUL-terminated PTX image (CompiledKernel::image is either).
  static Module load(const std::vector<char>& image);

  // Throws CudaError (CUDA_ERROR_NOT_FOUND) naming the kernel if it is not in the module;
  // C++ kernels need their mangled name, extern "C" kernels their plain name.
  Function function(const std::string& name) const;
  CUmodule get() const { return module_.get(); }

 private:
  UniqueHandle<CUmodule, &detail::unload_module> module_;
};

}  // namespace kpg
