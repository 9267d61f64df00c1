// A reference kernel that never ends (tests/data/hung_reference.yaml): `kpg tune` and
// `kpg run` hold it to the watchdog like every candidate. The worker is killed, the run
// ends with a message naming the reference (no candidate can be checked without it), and
// nothing is restarted, which would only hang again.

#include <sys/wait.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "tests/gpu_test_env.hpp"

namespace fs = std::filesystem;

namespace kpg {
namespace {

struct Ran {
  int exit_code;
  std::string output;  // stdout and stderr
  double seconds;
};

Ran run_shell(const std::string& command) {
  const auto t0 = std::chrono::steady_clock::now();
  Ran r{-1, "", 0};
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen((command + " 2>&1").c_str(), "r"), ::pclose);
  if (!pipe) return r;
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, pipe.get())) > 0;) r.output.append(buf, n);
  const int status = ::pclose(pipe.release());
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

class BrokenReferenceGpu : public ::testing::Test {
 protected:
  void SetUp() override {
    KPG_SKIP_WITHOUT_GPU();
    cache_ = fs::temp_directory_path() / ("kpg-hung-reference-" + std::to_string(::getpid()));
    fs::remove_all(cache_);
  }
  void TearDown() override { fs::remove_all(cache_); }

  Ran kpg(const std::string& command) {
    return run_shell("KPG_CACHE_DIR=" + cache_.string() + " timeout 120 " + KPG_TEST_KPG_BINARY + " " + command +
                     " " + KPG_TEST_SOURCE_DIR + "/data/hung_reference.yaml --watchdog 3");
  }

  fs::path cache_;
};

TEST_F(BrokenReferenceGpu, TuneKillsAHungReferenceAndEndsTheRun) {
  const Ran ran = kpg("tune");
  SCOPED_TRACE(ran.output);
  EXPECT_EQ(ran.exit_code, 1);
  EXPECT_NE(ran.output.find("the reference kernel (variant 'reference', reference:BREAK=2) hung: no result after 3 s "
                            "(the worker was killed)"),
            std::string::npos);
  EXPECT_EQ(ran.output.find("restarted"), std::string::npos) << "a restart would hang the same way";
  EXPECT_LT(ran.seconds, 60) << "the watchdog (3 s) ended it, not the outer timeout";
}

TEST_F(BrokenReferenceGpu, RunKillsAHungReferenceAndEndsTheRun) {
  const Ran ran = kpg("run --variant tuned");
  SCOPED_TRACE(ran.output);
  EXPECT_EQ(ran.exit_code, 1);
  EXPECT_NE(ran.output.find("kpg: error: kpg run worker: the reference kernel (variant 'reference', "
                            "reference:BREAK=2) hung: no result after 3 s"),
            std::string::npos);
  EXPECT_LT(ran.seconds, 60);
}

}  // namespace
}  // namespace kpg
