// Softmax's `split` space keeps state across launches in scratch (a ticket counter and one
// counter a row) that each launch must leave zeroed: a launch that left a count behind
// would hand the next one wrong slices. Every candidate runs three times on one workload,
// each run checked against the float64 reference, then the counters are read back.

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <random>
#include <vector>

#include "tests/gpu_test_env.hpp"
#include "tests/tuner_gpu_session.hpp"
#include "tuner/config.hpp"

namespace kpg {
namespace {

namespace fs = std::filesystem;

class SoftmaxSplitGpu : public ::testing::Test {
 protected:
  void SetUp() override { KPG_SKIP_WITHOUT_GPU(); }
};

TEST_F(SoftmaxSplitGpu, EveryLaunchLeavesTheCountersZeroedAndStaysCorrect) {
  testing::TunerSession session(KPG_TEST_KERNELS_DIR);
  const OpConfig config = load_config(fs::path(KPG_TEST_CONFIGS_DIR) / "softmax.yaml", KPG_TEST_KERNELS_DIR);
  const VariantSpec* fused = config.find_variant("fused");
  ASSERT_NE(fused, nullptr);

  // 61 rows of 65,537: chunks split unevenly over every SPLIT, rows start off 16 bytes,
  // and at SPLIT 16 there are more slices (976) than blocks resident at once.
  constexpr int kRows = 61;
  Workload w(config, Shape{{{"M", kRows}, {"N", 65537}}, DType::f32}, session.gpu.limits());
  w.randomize(std::random_device{}());
  int runs = 0;
  for (const auto& c : enumerate(config, *fused, w.shape(), session.gpu.limits(), nullptr)) {
    if (c.space_name != "split") continue;
    const auto bound = session.tuner.bind(config, *fused, c, w);
    for (int launch = 0; launch < 3; ++launch) {
      const CheckReport r = session.tuner.verify(bound, w);
      EXPECT_TRUE(r.ok) << c.id() << ", launch " << launch << ": " << r.describe();
    }
    std::vector<int32_t> counts(kRows + 1, -1);
    w.buffer("split_count").download(counts.data(), counts.size() * sizeof(int32_t));
    for (size_t i = 0; i < counts.size(); ++i) EXPECT_EQ(counts[i], 0) << c.id() << ": split_count[" << i << "]";
    ++runs;
  }
  EXPECT_GT(runs, 4) << "the split space offered too few candidates at 61 x 65537";
}

}  // namespace
}  // namespace kpg
