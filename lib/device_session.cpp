#include "lib/device_session.hpp"

#include <map>
#include <memory>
#include <mutex>

#include "runtime/driver.hpp"
#include "runtime/error.hpp"

namespace kpg {

const Gpu& shared_gpu(int ordinal) {
  static std::mutex mutex;
  // Never destroyed: the driver may be torn down before static destructors run at exit,
  // and the primary context outlives the process anyway.
  static auto* gpus = new std::map<int, std::unique_ptr<Gpu>>();
  const std::lock_guard lock(mutex);
  auto& gpu = (*gpus)[ordinal];
  if (!gpu) {
    // Device checks the ordinal too, but as a runtime error: to the caller it is bad input.
    const int count = Device::count();
    if (ordinal < 0 || ordinal >= count)
      throw InputError("device " + std::to_string(ordinal) + " does not exist (" + std::to_string(count) +
                       " CUDA device(s) visible)");
    gpu = std::make_unique<Gpu>(ordinal);
  }
  return *gpu;
}

void make_current(const Gpu& gpu) {
  const auto& d = driver();
  CUcontext current = nullptr;
  KPG_CU_CHECK(d.cuCtxGetCurrent(&current));
  if (current != gpu.context()) KPG_CU_CHECK(d.cuCtxSetCurrent(gpu.context()));
}

}  // namespace kpg
