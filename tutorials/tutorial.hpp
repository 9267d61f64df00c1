#pragma once
// What every tutorial shares: its options, the GPU session it runs in, and where its
// results go.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "runtime/compiler.hpp"
#include "runtime/cubin_cache.hpp"
#include "tuner/config.hpp"
#include "tuner/gpu.hpp"
#include "tuner/tuner.hpp"
#include "tuner/tuning_cache.hpp"
#include "tutorials/report/table.hpp"

namespace kpg {

struct TutorialOptions {
  std::filesystem::path kernels_dir, configs_dir, cache_dir;
  std::vector<std::string> shapes;      // --shape overrides, "M=4096,N=781[,dtype=f16]"
  std::optional<std::string> dtype;     // --dtype: overrides the dtype of default shapes
  std::optional<std::filesystem::path> results_dir;
  std::optional<std::filesystem::path> save_io;
  TuneOptions tune;
  bool show_source = false;
};

// Everything a tutorial needs on the GPU, opened once.
struct TutorialSession {
  explicit TutorialSession(const TutorialOptions& options);
  Gpu gpu;
  CubinCache cubin_cache;
  Compiler compiler;
  TuningCache tuning_cache;
  Tuner tuner;
};

OpConfig load_tutorial_config(const TutorialOptions& options, const std::string& op);

// The shapes to run: --shape values if given, else the config's defaults (with --dtype).
std::vector<Shape> tutorial_shapes(const OpConfig& config, const TutorialOptions& options);

// "NVIDIA H100 80GB HBM3 (sm_90, 132 SMs), driver 580.159.04, 2026-11-25"
std::string describe_run(const Gpu& gpu);

// Formatting helpers shared by the lesson tables.
std::string fmt(double value, int decimals);
std::string fmt_bytes(int64_t bytes);

// Appends a row and prints it at once, so a long lesson shows each result as it comes
// (and an interrupted run keeps what it measured in its log).
void add_row(report::Table& table, std::vector<std::string> row);

}  // namespace kpg
