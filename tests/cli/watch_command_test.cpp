// `kpg watch` as a user runs it: the built binary in a child process, without a GPU
// (KPG_DRIVER_LIBRARY points nowhere, so these run the same on the GPU machine).

#include <gtest/gtest.h>

#include <csignal>

#include "cli_test_support.hpp"

namespace kpg {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using test::Child;

class WatchCommandTest : public ::testing::Test {
 protected:
  std::map<std::string, std::string> env() const {
    return {{"KPG_CACHE_DIR", (dir_.path() / "cache").string()},
            {"KPG_DRIVER_LIBRARY", "/nonexistent/libcuda.so.1"},
            {"KPG_LOG", "warn"}};
  }
  std::vector<std::string> kpg(std::vector<std::string> args) const {
    args.insert(args.begin(), KPG_TEST_KPG_BINARY);
    return args;
  }
  test::TempDir dir_;
};

TEST_F(WatchCommandTest, OnceWithoutAGpuCompilesEachVariantAndExitsZero) {
  Child child(kpg({"watch", std::string(KPG_TEST_SOURCE_DIR) + "/data/slowed.yaml", "--once"}), env());
  const int status = child.finish();
  const std::string& out = child.output();
  EXPECT_EQ(status, 0) << out;
  EXPECT_NE(out.find("kpg watch: no GPU found ("), std::string::npos) << out;
  EXPECT_NE(out.find("compile-only rounds for sm_90; nothing is run or timed"), std::string::npos) << out;
  EXPECT_NE(out.find("slowed at N=1000003,dtype=f32: 2 variant(s), compile only for sm_90"), std::string::npos) << out;
  EXPECT_NE(out.find("reference  compiled in "), std::string::npos) << out;
  EXPECT_NE(out.find("tuned  compiled in "), std::string::npos) << out;
  EXPECT_NE(out.find("DELAY_US=40,WRONG=0 (config default), sm_90: "), std::string::npos) << out;
  EXPECT_NE(out.find("start -> result: "), std::string::npos) << out;
}

TEST_F(WatchCommandTest, OnceOnTheDocsExampleOp) {
  const std::string config = std::string(KPG_TEST_SOURCE_DIR) + "/../docs/examples/scale_add.yaml";
  Child child(kpg({"watch", config, "--once", "--dtype", "f16"}), env());
  const int status = child.finish();
  const std::string& out = child.output();
  EXPECT_EQ(status, 0) << out;
  EXPECT_NE(out.find("scale_add at N=16777216,dtype=f16: 2 variant(s), compile only for sm_90"), std::string::npos)
      << out;
  EXPECT_NE(out.find("plain  compiled in "), std::string::npos) << out;
  EXPECT_NE(out.find("tuned  compiled in "), std::string::npos) << out;
  EXPECT_NE(out.find("ITEMS=4,THREADS=256 (config default), sm_90: "), std::string::npos) << out;
}

TEST_F(WatchCommandTest, OnceWithOptionsSelectsShapeAndVariant) {
  Child child(kpg({"watch", std::string(KPG_TEST_SOURCE_DIR) + "/data/slowed.yaml", "--once", "--variant", "tuned",
                   "--shape", "N=4096", "--dtype", "f32"}),
              env());
  const int status = child.finish();
  EXPECT_EQ(status, 0) << child.output();
  EXPECT_NE(child.output().find("slowed at N=4096,dtype=f32: 1 variant(s)"), std::string::npos) << child.output();
  EXPECT_EQ(child.output().find("reference  compiled"), std::string::npos) << child.output();
}

TEST_F(WatchCommandTest, OnceWithABrokenKernelExitsTwoAndShowsTheLine) {
  const auto op = test::write_copy_op(dir_.path() / "op");
  test::write_in_place(op.math, "#pragma once\n__device__ float same(float v) { return v + not_declared; }\n");
  Child child(kpg({"watch", op.config.string(), "--once", "--variant", "tuned"}), env());
  const int status = child.finish();
  EXPECT_EQ(status, 2) << child.output();
  EXPECT_NE(child.output().find("tuned  COMPILE ERROR"), std::string::npos) << child.output();
  EXPECT_NE(child.output().find(op.math.string() + ":2: __device__ float same(float v) { return v + not_declared; }"),
            std::string::npos)
      << child.output();
}

TEST_F(WatchCommandTest, AnUnknownOpExitsTwoAtOnce) {
  Child child(kpg({"watch", "no_such_op", "--once"}), env());
  EXPECT_EQ(child.finish(), 2);
  EXPECT_NE(child.output().find("no_such_op"), std::string::npos) << child.output();
}

TEST_F(WatchCommandTest, RunsARoundPerSaveAndCtrlCExitsZero) {
  const auto op = test::write_copy_op(dir_.path() / "op");
  Child child(kpg({"watch", op.config.string(), "--debounce-ms", "50"}), env());
  ASSERT_TRUE(child.read_until("watching 4 file(s): copy.yaml copy.cu copy_common.cuh copy_math.cuh", 60s))
      << child.output();
  EXPECT_NE(child.output().find("start -> result: "), std::string::npos) << child.output();

  // An editor-style save of a header two includes deep starts a round that recompiles.
  test::write_by_rename(op.math, "#pragma once\n__device__ __forceinline__ float same(float v) { return v * 1.0f; }\n");
  ASSERT_TRUE(child.read_until("save -> result: ", 60s)) << child.output();
  EXPECT_NE(child.output().find("== round 2: copy_math.cuh changed"), std::string::npos) << child.output();

  // A broken YAML is one line; the watch goes on.
  test::write_in_place(op.config, "op: copy\nsource: [\n");
  ASSERT_TRUE(child.read_until("save -> result: ", 60s, 2)) << child.output();
  EXPECT_NE(child.output().find("== round 3: copy.yaml changed\nconfig error: " + op.config.string() + ":"),
            std::string::npos)
      << child.output();

  EXPECT_EQ(child.finish(SIGINT), 0) << child.output();
  EXPECT_NE(child.output().find("kpg watch: stopped (SIGINT)"), std::string::npos) << child.output();
}

TEST_F(WatchCommandTest, ResumeSkipsTheFirstRoundAndWaitsForASave) {
  // How kpg watch comes back after a GPU fault: the faulty kernel is still there, so the
  // fresh process runs nothing until the next save.
  const auto op = test::write_copy_op(dir_.path() / "op");
  Child child(kpg({"watch", op.config.string(), "--resume", "--debounce-ms", "50"}), env());
  ASSERT_TRUE(child.read_until("watching 4 file(s)", 60s)) << child.output();
  EXPECT_NE(child.output().find("restarted after a GPU fault; waiting for the next save"), std::string::npos);
  EXPECT_EQ(child.output().find("== round"), std::string::npos) << child.output();
  test::write_by_rename(op.source, test::read_text(op.source) + "// saved\n");
  ASSERT_TRUE(child.read_until("save -> result: ", 60s)) << child.output();
  EXPECT_NE(child.output().find("== round 1: copy.cu changed"), std::string::npos) << child.output();
  EXPECT_EQ(child.finish(SIGINT), 0) << child.output();
}

TEST_F(WatchCommandTest, SigtermExitsZero) {
  const auto op = test::write_copy_op(dir_.path() / "op");
  Child child(kpg({"watch", op.config.string(), "--variant", "plain"}), env());
  ASSERT_TRUE(child.read_until("watching 4 file(s)", 60s)) << child.output();
  EXPECT_EQ(child.finish(SIGTERM), 0) << child.output();
  EXPECT_NE(child.output().find("kpg watch: stopped (SIGTERM)"), std::string::npos) << child.output();
}

}  // namespace
}  // namespace kpg
