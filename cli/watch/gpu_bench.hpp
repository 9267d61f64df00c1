#pragma once
// The GPU side of `kpg watch`: the device (context, stream, timer) and a tuner on it,
// held across rounds. A kernel that faults poisons the context for the life of the
// process (CUDA's sticky errors): healthy() tells a fault from an ordinary error.

#include <filesystem>
#include <memory>
#include <string>

#include "runtime/compiler.hpp"
#include "tuner/gpu.hpp"
#include "tuner/tuner.hpp"
#include "tuner/tuning_cache.hpp"

namespace kpg {

class GpuBench {
 public:
  // Throws (NoDriverError, CudaError) when the device cannot be opened.
  GpuBench(const Compiler& compiler, TuningCache& cache, std::filesystem::path kernels_dir);

  const Gpu& gpu() const { return *gpu_; }
  const Tuner& tuner() const { return *tuner_; }
  const TuningCache& tuning_cache() const { return cache_; }
  const Compiler& compiler() const { return compiler_; }

  // False (with the driver's words in `why`) when the context is faulted.
  bool healthy(std::string* why = nullptr) const;

 private:
  const Compiler& compiler_;
  TuningCache& cache_;
  std::filesystem::path kernels_dir_;
  std::unique_ptr<Gpu> gpu_;
  std::unique_ptr<Tuner> tuner_;
};

// A GPU to watch on, or null (with the reason in `why`) when there is none: no driver,
// no device, or the device does not open.
std::unique_ptr<GpuBench> open_gpu_bench(const Compiler& compiler, TuningCache& cache,
                                         const std::filesystem::path& kernels_dir, std::string* why);

}  // namespace kpg
