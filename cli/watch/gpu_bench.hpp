#pragma once
// The GPU side of `kpg watch`: the device (context, stream, timer) and a tuner on it,
// held across rounds, and reopened after a fault: a kernel that faults poisons its CUDA
// context, so every handle on it is dropped and the primary context retained afresh.

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
  GpuBench(const Compiler& compiler, const TuningCache& cache, std::filesystem::path kernels_dir);

  const Gpu& gpu() const { return *gpu_; }
  const Tuner& tuner() const { return *tuner_; }
  const TuningCache& tuning_cache() const { return cache_; }

  // False (with the driver's words in `why`) when the context is faulted.
  bool healthy(std::string* why = nullptr) const;
  // Drops the context and everything on it and opens the device again. Every module,
  // buffer and workload of the old context must be gone. False (with `why`) when the
  // device does not come back.
  bool reopen(std::string* why);

 private:
  const Compiler& compiler_;
  const TuningCache& cache_;
  std::filesystem::path kernels_dir_;
  std::unique_ptr<Gpu> gpu_;
  std::unique_ptr<Tuner> tuner_;
};

// A GPU to watch on, or null (with the reason in `why`) when there is none: no driver,
// no device, or the device does not open.
std::unique_ptr<GpuBench> open_gpu_bench(const Compiler& compiler, const TuningCache& cache,
                                         const std::filesystem::path& kernels_dir, std::string* why);

}  // namespace kpg
