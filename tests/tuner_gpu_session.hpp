#pragma once
// For GPU tests of op configs through the tuner's API: a tuner on GPU 0 whose cubin and
// tuning caches live in a scratch folder, and the check of every candidate of a config
// against the float64 reference at one workload (poisoned outputs, odd shapes).
// Construct a TunerSession only after KPG_SKIP_WITHOUT_GPU() (tests/gpu_test_env.hpp).

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "runtime/compiler.hpp"
#include "runtime/cubin_cache.hpp"
#include "tests/shared_test_support.hpp"
#include "tuner/config.hpp"
#include "tuner/gpu.hpp"
#include "tuner/space.hpp"
#include "tuner/tuner.hpp"
#include "tuner/tuning_cache.hpp"
#include "tuner/workload.hpp"

namespace kpg::testing {

// Members are destroyed in reverse: the tuner, the caches, then the GPU, then the folder.
struct TunerSession {
  explicit TunerSession(const std::filesystem::path& kernels_dir)
      : cubins(dir.path()), compiler(&cubins), records(dir.path()), tuner(gpu, compiler, records, kernels_dir) {}

  TempDir dir;
  Gpu gpu{0};
  CubinCache cubins;
  Compiler compiler;
  TuningCache records;
  Tuner tuner;
};

// Runs every candidate of every variant of `config` at `w` (those over the device's
// resources are skipped) and expects each to match the reference; returns how many ran.
// `skip_variant` names a variant to leave out ("" for none).
inline int check_every_candidate(const TunerSession& s, const OpConfig& config, Workload& w,
                                 const std::string& skip_variant = "") {
  int checked = 0;
  for (const auto& variant : config.variants) {
    if (variant.name == skip_variant) continue;
    for (const auto& c : enumerate(config, variant, w.shape(), s.gpu.limits(), nullptr)) {
      const auto bound = s.tuner.bind(config, variant, c, w);
      if (bound.plan->resource_problem(s.gpu.props())) continue;
      const CheckReport r = s.tuner.verify(bound, w);
      EXPECT_TRUE(r.ok) << config.op << " " << variant.name << "/" << c.id() << " at " << w.shape().to_string()
                        << ": " << r.describe();
      ++checked;
    }
  }
  return checked;
}

}  // namespace kpg::testing
