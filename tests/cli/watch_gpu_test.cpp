// kpg watch on a GPU: a round checks and times each variant's choice and prints the time
// beside last round's; a wrong result shows its worst element; a fault is reported and
// kpg watch restarts itself in a fresh process and goes on. Skipped without a GPU.

#include <gtest/gtest.h>

#include <csignal>
#include <sstream>

#include "cli/watch/gpu_bench.hpp"
#include "cli/watch/watch_rounds.hpp"
#include "cli_test_support.hpp"
#include "runtime/cubin_cache.hpp"
#include "tests/gpu_test_env.hpp"

namespace kpg {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using test::normal;
using test::write_by_rename;

class WatchGpu : public ::testing::Test {
 protected:
  void SetUp() override {
    KPG_SKIP_WITHOUT_GPU();
    op_ = test::write_copy_op(dir_.path() / "op");
    cubins_ = std::make_unique<CubinCache>(dir_.path() / "cache");
    compiler_ = std::make_unique<Compiler>(cubins_.get());
    records_ = std::make_unique<TuningCache>(dir_.path() / "cache");
    std::string why;
    bench_ = open_gpu_bench(*compiler_, *records_, dir_.path() / "kernels", &why);
    ASSERT_TRUE(bench_) << why;
    settings_.config_file = op_.config;
    settings_.kernels_dir = dir_.path() / "kernels";
    settings_.seed = 1;
    settings_.target.variants = {"tuned"};
  }
  void TearDown() override {
    rounds_.reset();
    bench_.reset();
  }
  WatchRounds& rounds() {
    if (!rounds_) rounds_ = std::make_unique<WatchRounds>(settings_, *compiler_, bench_.get(), out_);
    return *rounds_;
  }
  std::string round(const std::set<fs::path>& changed = {}) {
    const auto before = out_.str().size();
    outcome_ = rounds().run(changed);
    return out_.str().substr(before);
  }

  test::TempDir dir_;
  test::WatchedOp op_;
  std::unique_ptr<CubinCache> cubins_;
  std::unique_ptr<Compiler> compiler_;
  std::unique_ptr<TuningCache> records_;
  std::unique_ptr<GpuBench> bench_;
  WatchSettings settings_;
  std::ostringstream out_;
  std::unique_ptr<WatchRounds> rounds_;
  RoundOutcome outcome_;
};

TEST_F(WatchGpu, ARoundTimesTheChoiceAndTheNextPrintsItBesideTheLast) {
  const std::string first = round();
  ASSERT_EQ(outcome_.exit_code(), 0) << first;
  EXPECT_NE(first.find("check and time on " + bench_->gpu().props().name), std::string::npos) << first;
  EXPECT_NE(first.find("tuned  0."), std::string::npos) << first;
  EXPECT_NE(first.find("THREADS=128 (config default), "), std::string::npos) << first;
  EXPECT_NE(first.find(" GB/s, spread "), std::string::npos) << first;

  write_by_rename(op_.math, "#pragma once\n__device__ __forceinline__ float same(float v) { return v * 1.0f; }\n");
  const std::string second = round({normal(op_.math)});
  ASSERT_EQ(outcome_.exit_code(), 0) << second;
  EXPECT_NE(second.find(" ms -> "), std::string::npos) << second;
  EXPECT_NE(second.find("(cubin cache miss); last round "), std::string::npos) << second;
}

TEST_F(WatchGpu, AWrongResultShowsTheWorstElementAndTheNextRoundRecovers) {
  round();
  ASSERT_EQ(outcome_.exit_code(), 0);
  write_by_rename(op_.math, "#pragma once\n__device__ __forceinline__ float same(float v) { return v + 1.0f; }\n");
  const std::string wrong = round({normal(op_.math)});
  EXPECT_EQ(outcome_.wrong, 1u) << wrong;
  EXPECT_EQ(outcome_.exit_code(), 1);
  EXPECT_NE(wrong.find("tuned  WRONG RESULT (THREADS=128"), std::string::npos) << wrong;
  EXPECT_NE(wrong.find("worst"), std::string::npos) << wrong;

  write_by_rename(op_.math, test::kCopyMath);
  const std::string fixed = round({normal(op_.math)});
  EXPECT_EQ(outcome_.exit_code(), 0) << fixed;
}

TEST_F(WatchGpu, AFaultIsReportedAndMarksTheGpuLost) {
  round();
  ASSERT_EQ(outcome_.exit_code(), 0);
  write_by_rename(op_.math,
                  "#pragma once\n__device__ float same(float v) { *(volatile float*)nullptr = v; return v; }\n");
  const std::string faulted = round({normal(op_.math)});
  EXPECT_EQ(outcome_.faults, 1u) << faulted;
  EXPECT_NE(faulted.find("GPU FAULT: "), std::string::npos) << faulted;
  EXPECT_TRUE(outcome_.gpu_lost);
  EXPECT_TRUE(outcome_.fatal);
  EXPECT_EQ(outcome_.exit_code(), 1);
}

// The binary goes on after a fault: it restarts itself, waits for the fix, then times again.
TEST(WatchCommandGpu, AFaultRestartsTheWatchInAFreshProcess) {
  KPG_SKIP_WITHOUT_GPU();
  test::TempDir dir;
  const auto op = test::write_copy_op(dir.path() / "op");
  test::Child child({KPG_TEST_KPG_BINARY, "watch", op.config.string(), "--variant", "tuned", "--debounce-ms", "50"},
                    {{"KPG_CACHE_DIR", (dir.path() / "cache").string()}});
  ASSERT_TRUE(child.read_until("watching 4 file(s)", 60s)) << child.output();
  write_by_rename(op.math, "#pragma once\n__device__ float same(float v) { *(volatile float*)nullptr = v; return v; }\n");
  ASSERT_TRUE(child.read_until("restarted after a GPU fault; waiting for the next save", 60s)) << child.output();
  EXPECT_NE(child.output().find("GPU FAULT: "), std::string::npos) << child.output();
  EXPECT_NE(child.output().find("kpg watch: restarting in a fresh process"), std::string::npos) << child.output();
  ASSERT_TRUE(child.read_until("watching 4 file(s)", 60s, 2)) << child.output();
  write_by_rename(op.math, test::kCopyMath);
  ASSERT_TRUE(child.read_until("save -> result: ", 60s, 2)) << child.output();
  const std::string after = child.output().substr(child.output().find("restarted after a GPU fault"));
  EXPECT_NE(after.find("tuned  0."), std::string::npos) << child.output();
  EXPECT_EQ(child.finish(SIGINT), 0) << child.output();
}

TEST_F(WatchGpu, AChangedGridIsTunedAndItsBestKeptAcrossAKernelEdit) {
  round();
  std::string yaml = test::kCopyYaml;
  yaml.replace(yaml.find("THREADS: [64, 128, 256]"), 23, "THREADS: [64, 128, 256, 512]");
  test::write_in_place(op_.config, yaml);
  const std::string tuned = round({normal(op_.config)});
  ASSERT_EQ(outcome_.exit_code(), 0) << tuned;
  EXPECT_NE(tuned.find("tuned  grid changed: tuning 4 candidates"), std::string::npos) << tuned;
  EXPECT_NE(tuned.find("(tuned now)"), std::string::npos) << tuned;

  write_by_rename(op_.math, "#pragma once\n__device__ __forceinline__ float same(float v) { return v * 1.0f; }\n");
  const std::string edited = round({normal(op_.math)});
  ASSERT_EQ(outcome_.exit_code(), 0) << edited;
  EXPECT_NE(edited.find("(last tuned choice; no record for this source yet)"), std::string::npos) << edited;
}

// Variants with their own kernel file and none at op level (as the shipped configs are):
// a choice tuned in the round, never compiled ahead, is bound to its space's file.
TEST_F(WatchGpu, ARetunedVariantWithItsOwnSourceRunsItsChoice) {
  std::string yaml = test::kCopyYaml;
  yaml.erase(yaml.find("source: copy.cu\n"), 16);
  for (const char* variant : {"  plain:\n", "  tuned:\n"})
    yaml.insert(yaml.find(variant) + std::string(variant).size(), "    source: copy.cu\n");
  test::write_in_place(op_.config, yaml);
  settings_.retune = true;
  const std::string out = round();
  ASSERT_EQ(outcome_.exit_code(), 0) << out;
  EXPECT_NE(out.find("(tuned now)"), std::string::npos) << out;
}

// The binary on a real op: one round, one timing, exit 0.
TEST(WatchCommandGpu, OnceOnSoftmaxPrintsATiming) {
  KPG_SKIP_WITHOUT_GPU();
  test::TempDir dir;
  test::Child child({KPG_TEST_KPG_BINARY, "watch", "softmax", "--once", "--variant", "fused", "--shape", "M=4096,N=781"},
                    {{"KPG_CACHE_DIR", (dir.path() / "cache").string()}});
  const int status = child.finish();
  EXPECT_EQ(status, 0) << child.output();
  EXPECT_NE(child.output().find("softmax at M=4096,N=781,dtype=f32: 1 variant(s), check and time on "),
            std::string::npos)
      << child.output();
  EXPECT_NE(child.output().find(" GB/s, spread "), std::string::npos) << child.output();
  EXPECT_NE(child.output().find("start -> result: "), std::string::npos) << child.output();
}

}  // namespace
}  // namespace kpg
