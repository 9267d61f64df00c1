#include "tutorials/attention/cublas_loader.hpp"

#include <dlfcn.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <filesystem>
#include <utility>
#include <vector>

#include "runtime/compiler.hpp"

namespace kpg {
namespace {

struct LoadedCublas {
  CublasApi api;
  std::string error;  // empty when loading succeeded
};

// Names tried in order: the override, the sonames the loader cache may know, then the
// toolkit's own lib folders (the GPU machine need not list them in ld.so.conf).
std::vector<std::string> library_candidates() {
  if (const char* custom = std::getenv("KPG_CUBLAS_LIBRARY"); custom && *custom) return {custom};
  std::vector<std::string> names = {"libcublas.so.13", "libcublas.so"};
  if (const auto include = cuda_include_dir(); !include.empty()) {
    for (const char* lib : {"lib64", "lib"})
      for (const char* so : {"libcublas.so.13", "libcublas.so"})
        names.push_back((include.parent_path() / lib / so).string());
  }
  return names;
}

template <class Fn>
Fn symbol(void* handle, const char* name, std::string& missing) {
  auto fn = reinterpret_cast<Fn>(dlsym(handle, name));
  if (!fn) missing += std::string(missing.empty() ? "" : ", ") + name;
  return fn;
}

LoadedCublas load() {
  LoadedCublas result;
  std::string tried;
  void* handle = nullptr;
  std::string loaded_name;
  for (const auto& name : library_candidates()) {
    dlerror();
    handle = dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle) {
      loaded_name = name;
      break;
    }
    const char* e = dlerror();
    tried += (tried.empty() ? "" : "; ") + std::string(e ? e : name + ": not found");
  }
  if (!handle) {
    result.error = "cuBLAS not found (standard attention needs libcublas.so.13 from the CUDA toolkit; "
                   "set KPG_CUBLAS_LIBRARY to its path): " + tried;
    return result;
  }
  std::string missing;
  auto& api = result.api;
  api.create = symbol<decltype(api.create)>(handle, "cublasCreate_v2", missing);
  api.destroy = symbol<decltype(api.destroy)>(handle, "cublasDestroy_v2", missing);
  api.set_stream = symbol<decltype(api.set_stream)>(handle, "cublasSetStream_v2", missing);
  api.gemm_strided_batched_ex =
      symbol<decltype(api.gemm_strided_batched_ex)>(handle, "cublasGemmStridedBatchedEx", missing);
  std::string optional_missing;
  api.get_status_name = symbol<decltype(api.get_status_name)>(handle, "cublasGetStatusName", optional_missing);
  if (!missing.empty()) {
    dlclose(handle);
    result.api = {};
    result.error = "unusable cuBLAS: " + loaded_name + " lacks " + missing;
    return result;
  }
  spdlog::debug("cuBLAS loaded from {}", loaded_name);
  return result;  // the handle stays open: the function pointers live as long as the process
}

const LoadedCublas& cached() {
  static const LoadedCublas loaded = load();  // one thread-safe initialisation
  return loaded;
}

}  // namespace

const CublasApi& cublas() {
  const auto& loaded = cached();
  if (!loaded.error.empty()) throw Error(loaded.error);
  return loaded.api;
}

bool cublas_available(std::string* reason) {
  const auto& loaded = cached();
  if (reason) *reason = loaded.error;
  return loaded.error.empty();
}

std::string cublas_status_name(cublasStatus_t status) {
  const auto& loaded = cached();
  if (loaded.error.empty() && loaded.api.get_status_name) {
    if (const char* name = loaded.api.get_status_name(status)) return name;
  }
  switch (status) {
    case CUBLAS_STATUS_SUCCESS: return "CUBLAS_STATUS_SUCCESS";
    case CUBLAS_STATUS_NOT_INITIALIZED: return "CUBLAS_STATUS_NOT_INITIALIZED";
    case CUBLAS_STATUS_ALLOC_FAILED: return "CUBLAS_STATUS_ALLOC_FAILED";
    case CUBLAS_STATUS_INVALID_VALUE: return "CUBLAS_STATUS_INVALID_VALUE";
    case CUBLAS_STATUS_ARCH_MISMATCH: return "CUBLAS_STATUS_ARCH_MISMATCH";
    case CUBLAS_STATUS_MAPPING_ERROR: return "CUBLAS_STATUS_MAPPING_ERROR";
    case CUBLAS_STATUS_EXECUTION_FAILED: return "CUBLAS_STATUS_EXECUTION_FAILED";
    case CUBLAS_STATUS_INTERNAL_ERROR: return "CUBLAS_STATUS_INTERNAL_ERROR";
    case CUBLAS_STATUS_NOT_SUPPORTED: return "CUBLAS_STATUS_NOT_SUPPORTED";
    case CUBLAS_STATUS_LICENSE_ERROR: return "CUBLAS_STATUS_LICENSE_ERROR";
  }
  return "cublasStatus_t " + std::to_string(static_cast<int>(status));
}

namespace detail {
void throw_cublas_error(cublasStatus_t status, const char* statement, const char* file, int line) {
  throw CublasError(status, std::string(statement) + " failed at " + file + ":" + std::to_string(line) + ": " +
                                cublas_status_name(status));
}
}  // namespace detail

namespace detail {
void destroy_cublas_handle(cublasHandle_t handle) noexcept {
  const cublasStatus_t status = cublas().destroy(handle);
  if (status != CUBLAS_STATUS_SUCCESS) spdlog::warn("cublasDestroy_v2 failed: {}", cublas_status_name(status));
}
}  // namespace detail

CublasHandle::CublasHandle(CUstream stream) {
  cublasHandle_t handle = nullptr;
  KPG_CUBLAS_CHECK(cublas().create(&handle));
  handle_ = decltype(handle_)(handle);  // destroyed again if binding the stream fails
  set_stream(stream);
}

void CublasHandle::set_stream(CUstream stream) const {
  // cudaStream_t and CUstream are the same type (CUstream_st*): the runtime and driver share it.
  KPG_CUBLAS_CHECK(cublas().set_stream(get(), stream));
}

}  // namespace kpg
