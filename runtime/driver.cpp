#include "runtime/driver.hpp"

#include <dlfcn.h>
#include <link.h>

#include <atomic>
#include <cstdlib>

#include "runtime/error.hpp"

namespace kpg {
namespace detail {
namespace {

// Two-step stringify so a versioned macro (cuMemAlloc -> cuMemAlloc_v2) is expanded first.
#define KPG_STRINGIFY_EXPANDED(name) KPG_STRINGIFY(name)
#define KPG_STRINGIFY(name) #name

template <class Fn>
Fn symbol(void* handle, const char* name) {
  return reinterpret_cast<Fn>(dlsym(handle, name));
}

std::string dl_error() {
  const char* e = dlerror();
  return e ? e : "unknown dlerror";
}

// The file the dynamic loader picked for `library` (LD_LIBRARY_PATH may point elsewhere).
std::string loaded_from(void* handle, const std::string& library) {
  link_map* map = nullptr;
  if (dlinfo(handle, RTLD_DI_LINKMAP, &map) == 0 && map && map->l_name && *map->l_name) return map->l_name;
  return library;
}

// What a failed cuInit means and what to do about it, in words (the driver's own error
// strings are not available when cuInit fails, and the stub library has none).
std::string init_failure(CUresult result, const std::string& library) {
  switch (result) {
    case CUDA_ERROR_STUB_LIBRARY:
      return library + " is the CUDA toolkit's stub library, not the NVIDIA driver: remove the toolkit's "
             "lib64/stubs folder from LD_LIBRARY_PATH (or KPG_DRIVER_LIBRARY), or install the NVIDIA driver";
    case CUDA_ERROR_NO_DEVICE:
      return "the driver sees no GPU (check nvidia-smi, CUDA_VISIBLE_DEVICES, or a container started without GPUs)";
    case CUDA_ERROR_SYSTEM_DRIVER_MISMATCH:
      return "the driver library and the loaded kernel module are of different versions (reboot, or reload the "
             "nvidia module, after a driver update)";
    case CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE:
      return "the CUDA forward-compatibility driver in use does not support this GPU";
    case CUDA_ERROR_NOT_PERMITTED:
    case CUDA_ERROR_OPERATING_SYSTEM:
      return "the operating system refused access to the GPU (permissions on /dev/nvidia*?)";
    case CUDA_ERROR_DEVICE_UNAVAILABLE:
      return "the GPU is busy or unavailable (exclusive compute mode, or in use by another process)";
    default:
      return "the driver could not initialise (no GPU visible, or a driver/device mismatch; run nvidia-smi)";
  }
}

struct LoadedDriver {
  DriverApi api;
  std::string error;  // empty when loading succeeded
};

std::atomic<bool> g_attempted{false};

const LoadedDriver& cached_driver() {
  static const LoadedDriver loaded = [] {
    g_attempted.store(true);
    LoadedDriver result;
    try {
      result.api = load_driver(driver_library_name());
    } catch (const NoDriverError& e) {
      result.error = e.what();
    }
    return result;
  }();  // C++ guarantees one thread-safe initialisation.
  return loaded;
}

std::atomic<const DriverApi*> g_loaded{nullptr};

}  // namespace

std::string driver_library_name() {
  const char* custom = std::getenv("KPG_DRIVER_LIBRARY");
  return (custom && *custom) ? custom : "libcuda.so.1";
}

DriverApi load_driver(const std::string& library) {
  dlerror();
  void* handle = dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    throw NoDriverError("no CUDA driver: " + library + " not found (" + dl_error() +
                        "); GPU commands need an NVIDIA driver");
  }
  DriverApi api;
  std::string missing;
#define KPG_LOAD_REQUIRED(name)                                                         \
  api.name = symbol<decltype(api.name)>(handle, KPG_STRINGIFY_EXPANDED(name));          \
  if (!api.name) missing += std::string(missing.empty() ? "" : ", ") + KPG_STRINGIFY_EXPANDED(name);
#define KPG_LOAD_OPTIONAL(name) api.name = symbol<decltype(api.name)>(handle, KPG_STRINGIFY_EXPANDED(name));
  KPG_DRIVER_REQUIRED_FUNCTIONS(KPG_LOAD_REQUIRED)
  KPG_DRIVER_OPTIONAL_FUNCTIONS(KPG_LOAD_OPTIONAL)
#undef KPG_LOAD_REQUIRED
#undef KPG_LOAD_OPTIONAL
  if (!missing.empty()) {
    dlclose(handle);
    throw NoDriverError("no usable CUDA driver: " + library + " lacks " + missing +
                        " (driver older than this CUDA " + std::to_string(CUDA_VERSION / 1000) +
                        " build needs)");
  }
  const CUresult init = api.cuInit(0);
  if (init != CUDA_SUCCESS) {
    const std::string why = init_failure(init, loaded_from(handle, library));
    dlclose(handle);
    throw NoDriverError("no usable CUDA driver: " + why);
  }
  return api;  // handle stays open: function pointers live as long as the process.
}

const DriverApi* loaded_driver() { return g_loaded.load(std::memory_order_acquire); }

bool driver_load_attempted() { return g_attempted.load(); }

}  // namespace detail

const DriverApi& driver() {
  const auto& loaded = detail::cached_driver();
  if (!loaded.error.empty()) throw NoDriverError(loaded.error);
  detail::g_loaded.store(&loaded.api, std::memory_order_release);
  return loaded.api;
}

bool driver_available(std::string* reason) {
  const auto& loaded = detail::cached_driver();
  if (reason) *reason = loaded.error;
  return loaded.error.empty();
}

int driver_version() {
  int version = 0;
  KPG_CU_CHECK(driver().cuDriverGetVersion(&version));
  return version;
}

std::string cuda_version_text(int version) {
  return std::to_string(version / 1000) + "." + std::to_string(version % 1000 / 10);
}

}  // namespace kpg
