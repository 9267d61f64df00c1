#pragma once
// What the op commands (tune, run, watch) share: the op's config, the GPU, the caches
// and a tuner, opened once; and the --shape/--variant/--seed flags that select work.

#include <CLI/CLI.hpp>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "cli/core/command.hpp"
#include "runtime/compiler.hpp"
#include "runtime/cubin_cache.hpp"
#include "tuner/config.hpp"
#include "tuner/gpu.hpp"
#include "tuner/tuner.hpp"
#include "tuner/tuning_cache.hpp"

namespace kpg {

struct OpSelection {
  std::vector<std::string> shapes;    // "M=4096,N=781[,dtype=f16]"; empty: the config's shapes
  std::vector<std::string> variants;  // empty: all
  uint64_t seed = 0;                  // 0: fresh random inputs
};

void add_selection_options(CLI::App* cmd, OpSelection& selection);

// The config's variants named in `names`, in that order; all of them when `names` is
// empty. Throws InputError naming the config file and its variants for an unknown name.
std::vector<const VariantSpec*> select_variants(const OpConfig& config, const std::vector<std::string>& names);

class OpSession {
 public:
  // Loads and validates the config. The GPU opens on the first call of gpu() or tuner(),
  // so that flags can be checked against the config first: bad input is reported (exit 2)
  // before anything touches a GPU, also on a machine without one.
  OpSession(const CliContext& ctx, const std::string& op_or_file, int device = 0);

  const OpConfig& config() const { return config_; }
  const Gpu& gpu() const;
  const Tuner& tuner() const;
  const Compiler& compiler() const { return compiler_; }
  // Tunes record into it (also those of a const session: const is about the config and device).
  TuningCache& tuning_cache() const { return tuning_cache_; }
  const std::filesystem::path& kernels_dir() const { return kernels_dir_; }

  std::vector<Shape> shapes(const OpSelection& selection) const;
  std::vector<const VariantSpec*> variants(const OpSelection& selection) const;

 private:
  std::filesystem::path kernels_dir_;
  OpConfig config_;
  CubinCache cubin_cache_;
  Compiler compiler_;
  mutable TuningCache tuning_cache_;
  int device_;
  mutable std::unique_ptr<Gpu> gpu_;  // opened on first use
  mutable std::unique_ptr<Tuner> tuner_;
};

}  // namespace kpg
