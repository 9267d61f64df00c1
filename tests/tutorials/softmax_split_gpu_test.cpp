// Softmax's `split` and `split_smem` spaces keep state across launches in scratch (a
// ticket counter and one counter a row) that each launch must leave zeroed: a launch that
// left a count behind would hand the next one wrong slices. Every candidate runs three
// times on one workload, each run checked against the float64 reference, then the
// counters are read back.

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
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

// Each space's candidates at 61 rows of `n`, three launches each; returns how many ran.
int check_space_three_times(testing::TunerSession& session, const OpConfig& config,
                            const std::string& space, int64_t n) {
  const VariantSpec* fused = config.find_variant("fused");
  EXPECT_NE(fused, nullptr);
  if (fused == nullptr) return 0;
  constexpr int kRows = 61;
  Workload w(config, Shape{{{"M", kRows}, {"N", n}}, DType::f32}, session.gpu.limits());
  w.randomize(std::random_device{}());
  int runs = 0;
  for (const auto& c : enumerate(config, *fused, w.shape(), session.gpu.limits(), nullptr)) {
    if (c.space_name != space) continue;
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
  return runs;
}

// 61 rows: at SPLIT 16 there are more slices (976) than blocks resident at once, so later
// blocks (split) or persistent blocks (split_smem) take the tickets in turn.
TEST_F(SoftmaxSplitGpu, EveryLaunchLeavesTheCountersZeroedAndStaysCorrect) {
  testing::TunerSession session(KPG_TEST_KERNELS_DIR);
  const OpConfig config = load_config(fs::path(KPG_TEST_CONFIGS_DIR) / "softmax.yaml", KPG_TEST_KERNELS_DIR);
  // 65,537: chunks split unevenly over every SPLIT and rows start off 16 bytes.
  EXPECT_GT(check_space_three_times(session, config, "split", 65537), 4)
      << "the split space offered too few candidates at 61 x 65537";
  // split_smem needs aligned rows: 65,540 is 16,385 chunks, uneven over every SPLIT.
  EXPECT_GT(check_space_three_times(session, config, "split_smem", 65540), 4)
      << "the split_smem space offered too few candidates at 61 x 65540";
}

}  // namespace
}  // namespace kpg
