// The bring-your-own-kernel example (configs/examples/bias_gelu.yaml +
// kernels_src/examples/bias_gelu.cu) without a GPU: the config loads, names the builtin
// reference's buffers, and every candidate of its grid compiles for sm_90 with no spills.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <random>
#include <set>

#include "runtime/cubin_cache.hpp"
#include "tests/gpu_test_env.hpp"
#include "tests/tuner_gpu_session.hpp"
#include "tuner/compile_all.hpp"
#include "tuner/gpu.hpp"
#include "tuner/space.hpp"
#include "tuner_test_support.hpp"

namespace fs = std::filesystem;

namespace kpg {
namespace {

OpConfig load_example() {
  return load_config(fs::path(KPG_TEST_CONFIGS_DIR) / "examples" / "bias_gelu.yaml", KPG_TEST_KERNELS_DIR);
}

TEST(BiasGeluExampleTest, ConfigDeclaresWhatTheBuiltinReferenceReads) {
  const OpConfig config = load_example();
  EXPECT_EQ(config.op, "bias_gelu");
  EXPECT_EQ(config.reference.builtin, "bias_gelu");
  EXPECT_EQ(config.source, (fs::path(KPG_TEST_KERNELS_DIR) / "examples" / "bias_gelu.cu").lexically_normal());
  EXPECT_EQ(config.dtypes.size(), 3u);
  ASSERT_NE(config.find_variant("fused"), nullptr);
  ASSERT_NE(config.find_variant("unfused"), nullptr);
  std::set<std::string> names;
  for (const auto& b : config.buffers) names.insert(b.name);
  for (const char* needed : {"x", "bias", "y", "t"}) EXPECT_TRUE(names.count(needed)) << needed;
  EXPECT_EQ(config.find_variant("fused")->spaces.at(0).launches.size(), 1u);
  EXPECT_EQ(config.find_variant("unfused")->spaces.at(0).launches.size(), 2u) << "bias add, then GELU";
}

TEST(BiasGeluExampleTest, EveryCandidateCompilesForSm90AtTheDefaultShapes) {
  const test::TempDir cache_dir;
  CubinCache cache(cache_dir.path());
  const Compiler compiler(&cache);
  const OpConfig config = load_example();
  CompileAllOptions options;
  options.arch = "sm_90";
  options.limits = h100_limits();
  options.kernels_dir = KPG_TEST_KERNELS_DIR;
  options.jobs = 2;

  size_t expected = 0;  // what the grid keeps after pruning, per variant and shape
  for (const auto& variant : config.variants)
    for (const auto& shape : config.shapes) {
      const auto candidates = enumerate(config, variant, shape, options.limits, nullptr);
      EXPECT_EQ(candidates.size(), 9u) << variant.name << " at " << shape.to_string() << ": 3 THREADS x 3 UNROLL";
      expected += candidates.size();
    }

  const OpCompileReport r = compile_op(config, compiler, options);
  ASSERT_TRUE(r.config_error.empty()) << r.config_error;
  for (const auto& f : r.failures) ADD_FAILURE() << f.candidate << " at " << f.shape << ": " << f.first_error_line
                                                 << "\n  reproduce: " << f.reproduce;
  EXPECT_EQ(r.candidates, expected);
  // fused and unfused share the source and the (THREADS, UNROLL, dtype) defines.
  EXPECT_EQ(r.unique_compiles, expected / 2);
  for (const auto& s : r.spills) ADD_FAILURE() << s.candidate << " " << s.kernel.kernel << " spills or uses stack";

  // Every launch's entry point is in the cubin (ptxas reports each kernel it compiled).
  const Shape& shape = config.shapes.front();
  for (const auto& variant : config.variants) {
    const auto candidate = default_candidate(config, variant, shape, options.limits);
    ASSERT_TRUE(candidate.has_value()) << variant.name;
    CompileOptions o;
    o.arch = "sm_90";
    o.defines = compile_defines(config, *candidate, shape, options.limits);
    o.include_dirs = {KPG_TEST_KERNELS_DIR};
    const CompiledKernel k = compiler.compile_file(config.source, o);
    for (const auto& launch : variant.spaces.at(0).launches) {
      const bool found = std::any_of(k.resources.begin(), k.resources.end(),
                                     [&](const KernelResources& res) { return res.kernel == launch.kernel; });
      EXPECT_TRUE(found) << "no kernel '" << launch.kernel << "' in " << config.source;
    }
  }
}

// On the GPU: every candidate of both variants against the float64 reference, with
// poisoned outputs, on shapes that leave tails (N = 1, 31, 4097: rows off 16-byte
// boundaries, chunks that span two rows, bias loads element by element).
class BiasGeluExampleGpu : public ::testing::Test {
 protected:
  void SetUp() override {
    KPG_SKIP_WITHOUT_GPU();
    session_.emplace(KPG_TEST_KERNELS_DIR);
    config_ = load_example();
  }

  // Checks every candidate of every variant; returns how many ran.
  int check_all(Workload& w) { return testing::check_every_candidate(*session_, config_, w); }
  DeviceLimits limits() const { return session_->gpu.limits(); }
  static Shape shape(int64_t m, int64_t n, DType t) { return Shape{{{"M", m}, {"N", n}}, t}; }

  std::optional<testing::TunerSession> session_;
  OpConfig config_;
};

TEST_F(BiasGeluExampleGpu, EveryCandidateMatchesTheReferenceOnOddShapes) {
  std::mt19937_64 seeds(std::random_device{}());
  for (DType t : config_.dtypes)
    for (int64_t m : {1, 3, 257})
      for (int64_t n : {1, 31, 1024, 4097}) {
        Workload w(config_, shape(m, n, t), limits());
        w.randomize(seeds());
        EXPECT_EQ(check_all(w), 18) << "every candidate of both variants runs at " << w.shape().to_string();
      }
}

TEST_F(BiasGeluExampleGpu, LargeMagnitudesSaturateLikeTheReference) {
  // |x + bias| up to 40: tanh saturates, gelu(z) -> z above and -> 0 below.
  std::mt19937_64 rng(std::random_device{}());
  std::uniform_real_distribution<double> big(-40.0, 40.0);
  const int64_t m = 7, n = 1000;
  Workload w(config_, shape(m, n, DType::f32), limits());
  w.randomize(rng());
  std::vector<double> x(static_cast<size_t>(m * n));
  for (auto& v : x) v = big(rng);
  w.set_input("x", x);
  EXPECT_EQ(check_all(w), 18);
}

}  // namespace
}  // namespace kpg
