#pragma once
// The CUDA Driver API reached through dlopen("libcuda.so.1"): kpg never links libcuda,
// so it starts and compiles kernels on machines without an NVIDIA driver.
//
// cuda.h #defines many API names to their current ABI symbol (cuMemAlloc -> cuMemAlloc_v2).
// Members are declared and looked up through those macros, so `driver().cuMemAlloc(...)`
// calls the symbol whose signature matches the header, exactly as a linked call would.

#include <cuda.h>

#include <string>

namespace kpg {

// Functions kpg needs: loading fails if one is missing.
#define KPG_DRIVER_REQUIRED_FUNCTIONS(X)                                                     \
  X(cuInit) X(cuDriverGetVersion) X(cuGetErrorName) X(cuGetErrorString)                    \
  X(cuDeviceGetCount) X(cuDeviceGet) X(cuDeviceGetName) X(cuDeviceGetAttribute)            \
  X(cuDeviceGetUuid) X(cuDeviceTotalMem)                                                   \
  X(cuDevicePrimaryCtxRetain) X(cuDevicePrimaryCtxRelease) X(cuCtxSetCurrent)              \
  X(cuCtxGetCurrent) X(cuCtxSynchronize) X(cuCtxGetDevice) X(cuCtxGetLimit) X(cuCtxSetLimit) \
  X(cuStreamCreate) X(cuStreamDestroy) X(cuStreamSynchronize)                              \
  X(cuStreamBeginCapture) X(cuStreamEndCapture)                                            \
  X(cuEventCreate) X(cuEventRecord) X(cuEventQuery) X(cuEventSynchronize)                   \
  X(cuEventElapsedTime) X(cuEventDestroy)                                                  \
  X(cuMemAlloc) X(cuMemFree) X(cuMemGetInfo)                                               \
  X(cuMemcpyHtoD) X(cuMemcpyDtoH) X(cuMemcpyDtoD)                                          \
  X(cuMemcpyHtoDAsync) X(cuMemcpyDtoHAsync) X(cuMemcpyDtoDAsync)                           \
  X(cuMemsetD8) X(cuMemsetD32) X(cuMemsetD8Async) X(cuMemsetD32Async)                      \
  X(cuModuleLoadData) X(cuModuleUnload) X(cuModuleGetFunction)                             \
  X(cuFuncGetAttribute) X(cuFuncSetAttribute)                                              \
  X(cuLaunchKernel) X(cuLaunchKernelEx) X(cuOccupancyMaxActiveBlocksPerMultiprocessor)     \
  X(cuOccupancyMaxActiveClusters)                                                          \
  X(cuGraphInstantiate) X(cuGraphLaunch) X(cuGraphDestroy) X(cuGraphExecDestroy)           \
  X(cuTensorMapEncodeTiled)

// Functions kpg uses when present (nullptr otherwise): check before calling.
#define KPG_DRIVER_OPTIONAL_FUNCTIONS(X) X(cuDeviceCanAccessPeer) X(cuFuncGetParamInfo)

#define KPG_DRIVER_DECLARE_MEMBER(name) decltype(&::name) name = nullptr;

struct DriverApi {
  KPG_DRIVER_REQUIRED_FUNCTIONS(KPG_DRIVER_DECLARE_MEMBER)
  KPG_DRIVER_OPTIONAL_FUNCTIONS(KPG_DRIVER_DECLARE_MEMBER)
};

#undef KPG_DRIVER_DECLARE_MEMBER

// The driver, loaded and cuInit(0)-ed once per process (thread-safe). Throws
// NoDriverError, with one line saying what is missing, on every call if that failed.
// The library is $KPG_DRIVER_LIBRARY when set (tests use it), else libcuda.so.1.
const DriverApi& driver();

// True when driver() would succeed; otherwise `reason` (if given) gets its message.
bool driver_available(std::string* reason = nullptr);

// cuDriverGetVersion, e.g. 13000 for CUDA 13.0. Throws NoDriverError without a driver.
int driver_version();

// CUDA's version number (1000 major + 10 minor, as the driver and NVRTC give it) as text:
// 13000 -> "13.0".
std::string cuda_version_text(int version);

namespace detail {
// The cached driver if driver() already loaded it successfully, else nullptr; never loads.
const DriverApi* loaded_driver();

// One uncached load of `library` + cuInit(0); throws NoDriverError. driver() calls it once.
// The library handle is kept open for the life of the process.
DriverApi load_driver(const std::string& library);

// True once driver() or driver_available() has tried to load (its result is then fixed).
bool driver_load_attempted();

// $KPG_DRIVER_LIBRARY or "libcuda.so.1".
std::string driver_library_name();
}  // namespace detail

}  // namespace kpg
