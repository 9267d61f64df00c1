#include "cli/watch/gpu_bench.hpp"

#include "runtime/device.hpp"
#include "runtime/driver.hpp"
#include "runtime/error.hpp"

namespace kpg {

GpuBench::GpuBench(const Compiler& compiler, TuningCache& cache, std::filesystem::path kernels_dir)
    : compiler_(compiler), cache_(cache), kernels_dir_(std::move(kernels_dir)),
      gpu_(std::make_unique<Gpu>(0)), tuner_(std::make_unique<Tuner>(*gpu_, compiler_, cache_, kernels_dir_)) {}

bool GpuBench::healthy(std::string* why) const {
  try {
    gpu_->synchronize();
    return true;
  } catch (const Error& e) {
    if (why) *why = e.what();
    return false;
  }
}

std::unique_ptr<GpuBench> open_gpu_bench(const Compiler& compiler, TuningCache& cache,
                                         const std::filesystem::path& kernels_dir, std::string* why) {
  if (!driver_available(why)) return nullptr;
  try {
    if (Device::count() == 0) {
      if (why) *why = "the driver reports no CUDA device";
      return nullptr;
    }
    return std::make_unique<GpuBench>(compiler, cache, kernels_dir);
  } catch (const Error& e) {
    if (why) *why = e.what();
    return nullptr;
  }
}

}  // namespace kpg
