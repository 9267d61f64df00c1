// `kpg run` as a user runs it, without a GPU (KPG_DRIVER_LIBRARY points nowhere, so these
// run the same on the GPU machine): bad input ends with exit 2 and one message whether it
// is found before or in the worker; no driver ends with exit 1 and the driver's message,
// once, with or without the worker. tests/cli/broken_kernels_gpu_test.cpp runs it on a GPU;
// RunCommandGpu below checks that it chooses its configuration as the library does.

#include <gtest/gtest.h>

#include <sstream>

#include "cli_test_support.hpp"
#include "kpg/operation.hpp"
#include "tests/gpu_test_env.hpp"

namespace kpg {
namespace {

using test::Child;

class RunCommandTest : public ::testing::Test {
 protected:
  std::map<std::string, std::string> env() const {
    return {{"KPG_CACHE_DIR", (dir_.path() / "cache").string()},
            {"KPG_DRIVER_LIBRARY", "/nonexistent/libcuda.so.1"},
            {"KPG_LOG", "warn"}};
  }
  // Runs `kpg run <args>`; returns the exit status, the output in `out`.
  int run(std::vector<std::string> args, std::string* out) const {
    args.insert(args.begin(), {KPG_TEST_KPG_BINARY, "run"});
    Child child(args, env());
    const int status = child.finish();
    *out = child.output();
    return status;
  }
  static size_t count(const std::string& text, const std::string& what) {
    size_t n = 0;
    for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
  }
  const std::string broken_ = std::string(KPG_TEST_SOURCE_DIR) + "/data/broken.yaml";
  test::TempDir dir_;
};

TEST_F(RunCommandTest, WithoutADriverBothModesEndWithExit1AndOneMessage) {
  for (const bool in_process : {false, true}) {
    std::vector<std::string> args{broken_, "--all-spaces", "--check-only"};
    if (in_process) args.push_back("--in-process");
    std::string out;
    EXPECT_EQ(run(args, &out), 1) << out;
    EXPECT_EQ(count(out, "kpg: no CUDA driver"), 1u) << out;  // the worker's, not repeated
    EXPECT_EQ(out.find("unit(s):"), std::string::npos) << out;  // no table of nothing
  }
}

TEST_F(RunCommandTest, BadParamsAreBadInputBeforeAnyWorker) {
  std::string out;
  EXPECT_EQ(run({broken_, "--variant", "tuned", "--params", "BREAK=0", "--params", "BREAK"}, &out), 2) << out;
  EXPECT_NE(out.find("--params 'BREAK': expected NAME=INTEGER"), std::string::npos) << out;
}

// A repeatable option takes one value per occurrence, so the op may follow it: parsing
// succeeds and the run gets as far as the missing driver (exit 1), with either option.
TEST_F(RunCommandTest, TheOpMayFollowARepeatableOption) {
  for (const std::string option : {"--shape", "--variant"}) {
    const std::string value = option == "--shape" ? "N=4" : "tuned";
    std::string out;
    EXPECT_EQ(run({option, value, broken_, "--check-only"}, &out), 1) << option << ": " << out;
    EXPECT_NE(out.find("kpg: no CUDA driver"), std::string::npos) << option << ": " << out;
  }
  std::string out;  // two values after one option: the second is not the op
  EXPECT_EQ(run({"--variant", "tuned", "reference", broken_}, &out), 2) << out;
}

TEST_F(RunCommandTest, AnUnknownOpIsBadInputFromTheWorker) {
  std::string out;
  EXPECT_EQ(run({"no_such_op_anywhere"}, &out), 2) << out;
  EXPECT_NE(out.find("no_such_op_anywhere"), std::string::npos) << out;
  EXPECT_EQ(count(out, "kpg: error:"), 1u) << out;  // the worker's, not repeated by the parent
}

TEST_F(RunCommandTest, HelpNamesTheWatchdogAndInProcess) {
  std::string out;
  EXPECT_EQ(run({"--help"}, &out), 0) << out;
  EXPECT_NE(out.find("--watchdog"), std::string::npos) << out;
  EXPECT_NE(out.find("--in-process"), std::string::npos) << out;
  EXPECT_EQ(out.find("--resume-from"), std::string::npos) << out;  // hidden
}

// On a GPU: `--space` without `--variant` runs the variants that have that space (the
// README's `kpg run softmax --space block_per_row ...`), and a space no variant has is one
// bad-input message naming it.
TEST(RunCommandGpu, ASpaceWithoutAVariantRunsTheVariantsThatHaveIt) {
  KPG_SKIP_WITHOUT_GPU();
  test::TempDir dir;
  const std::map<std::string, std::string> env{{"KPG_CACHE_DIR", (dir.path() / "cache").string()}, {"KPG_LOG", "warn"}};
  const auto run = [&](std::vector<std::string> args, std::string* out) {
    args.insert(args.begin(), {KPG_TEST_KPG_BINARY, "run", "softmax", "--shape", "M=64,N=781", "--check-only"});
    Child child(args, env);
    const int status = child.finish();
    *out = child.output();
    return status;
  };
  std::string out;
  EXPECT_EQ(run({"--space", "block_per_row", "--params", "THREADS=256"}, &out), 0) << out;
  EXPECT_NE(out.find("block_per_row:CLUSTER=1,MIN_BLOCKS=1,THREADS=256"), std::string::npos) << out;
  EXPECT_NE(out.find("1 unit(s): 1 ok"), std::string::npos) << out;  // fused only, not unfused
  EXPECT_EQ(run({"--space", "no_such_space"}, &out), 2) << out;
  EXPECT_NE(out.find("--space 'no_such_space': variant 'fused' has no such space"), std::string::npos) << out;
}

// On a GPU: `kpg run` without --params takes the library's choice (Operation::config). After
// a small `kpg tune` into a fresh cache, each row of `kpg run` names the configuration and the
// "chosen from" that Operation::config gives for the same shape: the tuned one (tuning
// cache) and one never tuned (the nearest tuned shape's choice, or the default).
TEST(RunCommandGpu, RunChoosesTheConfigurationTheLibraryChooses) {
  KPG_SKIP_WITHOUT_GPU();
  test::TempDir dir;
  const std::string cache = (dir.path() / "cache").string();
  const std::map<std::string, std::string> env{{"KPG_CACHE_DIR", cache}, {"KPG_LOG", "warn"}};
  const auto kpg = [&](std::vector<std::string> args, std::string* out) {
    args.insert(args.begin(), {KPG_TEST_KPG_BINARY, "--kernels-dir", KPG_TEST_KERNELS_DIR, "--configs-dir",
                               KPG_TEST_CONFIGS_DIR});
    Child child(args, env);
    const int status = child.finish();
    *out = child.output();
    return status;
  };
  std::string out;
  ASSERT_EQ(kpg({"tune", "softmax", "--variant", "fused", "--shape", "M=64,N=781", "--budget", "4"}, &out), 0) << out;

  OperationOptions options;
  options.kernels_dir = KPG_TEST_KERNELS_DIR;
  options.configs_dir = KPG_TEST_CONFIGS_DIR;
  options.cache_dir = cache;
  Operation softmax = Operation::open("softmax", options);
  for (const int64_t n : {781, 1000}) {
    const ConfigChoice choice = softmax.config(Problem{{{"M", 64}, {"N", n}}, "f32"});
    if (n == 781) {
      EXPECT_EQ(choice.source, ConfigSource::tuning_cache);
    }
    const std::string chosen_from = std::string(to_string(choice.source)) + (choice.detail.empty() ? "" : " " + choice.detail);
    const std::string shape = "M=64,N=" + std::to_string(n) + ",dtype=f32";
    ASSERT_EQ(kpg({"run", "softmax", "--variant", "fused", "--shape", shape, "--check-only"}, &out), 0) << out;
    // The table row of the unit: shape, variant, config, chosen from, check.
    bool found = false;
    std::istringstream lines(out);
    for (std::string line; std::getline(lines, line);)
      found = found || (line.find(shape) != std::string::npos && line.find(" " + choice.id + " ") != std::string::npos &&
                        line.find(" " + chosen_from + " ") != std::string::npos);
    EXPECT_TRUE(found) << "no row with " << choice.id << " from '" << chosen_from << "' in:\n" << out;
  }
}

}  // namespace
}  // namespace kpg
