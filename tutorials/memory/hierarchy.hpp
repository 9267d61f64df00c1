#pragma once
// The memory hierarchy of the card in this machine, measured: latency by pointer chasing
// (kernels_src/memory/pointer_chase.cu), bandwidth by streaming kernels
// (kernels_src/memory/streaming.cu), FP32 FMA throughput and the cost of a launch.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "runtime/compiler.hpp"
#include "tuner/gpu.hpp"

namespace kpg::memory {

struct LevelMeasurement {
  std::string level;                      // "shared memory", "L1", "L2", "device memory"
  int64_t working_set_bytes = 0;          // size of the pointer chain
  std::optional<double> latency_cycles;   // per dependent load
  std::optional<double> latency_ns;       // at the card's rated SM clock
  std::optional<double> bandwidth_gbs;    // streaming kernel, whole card
};

struct HierarchyMeasurement {
  std::vector<LevelMeasurement> levels;  // fastest first
  double fma_gflops = 0;                 // FP32, all SMs
  double launch_us = 0;                  // back-to-back launches of an empty kernel, per launch
  double launch_sync_us = 0;             // one launch plus waiting for it, host clock, median
};

// Compiles the two kernel files for the GPU's arch (through the cubin cache) and runs
// every measurement; throws on any CUDA or NVRTC failure. Takes a few seconds.
HierarchyMeasurement measure_hierarchy(const Gpu& gpu, const Compiler& compiler,
                                       const std::filesystem::path& kernels_dir);

// A chain for the pointer-chasing kernels: `bytes / 4` indices where the element at the
// start of each `line_bytes` line holds the start of the next line, lines in a random
// cyclic order from element 0 (every line visited once per lap). Exposed for tests.
std::vector<unsigned> make_pointer_chain(int64_t bytes, int line_bytes, uint64_t seed);

}  // namespace kpg::memory
