// `kpg tune` on an op whose candidates fault (illegal address, misaligned store, trap) or
// never end (tests/data/broken.yaml): the run goes on to the end, each broken candidate is
// recorded with its reason and a repro command, the correct ones are timed and one wins.

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <sys/wait.h>

#include "tests/gpu_test_env.hpp"
#include "tuner/tuning_cache.hpp"

namespace fs = std::filesystem;

namespace kpg {
namespace {

struct Ran {
  int exit_code;
  std::string output;  // stdout and stderr
};

Ran run_shell(const std::string& command) {
  Ran r{-1, ""};
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen((command + " 2>&1").c_str(), "r"), ::pclose);
  if (!pipe) return r;
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, pipe.get())) > 0;) r.output.append(buf, n);
  const int status = ::pclose(pipe.release());
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

class BrokenKernelsGpu : public ::testing::Test {
 protected:
  void SetUp() override {
    KPG_SKIP_WITHOUT_GPU();
    cache_ = fs::temp_directory_path() / ("kpg-broken-" + std::to_string(::getpid()));
    fs::remove_all(cache_);
  }
  void TearDown() override { fs::remove_all(cache_); }

  Ran tune(const std::string& extra) {
    return run_shell("KPG_CACHE_DIR=" + cache_.string() + " " + KPG_TEST_KPG_BINARY + " tune " + KPG_TEST_SOURCE_DIR +
                     "/data/broken.yaml --watchdog 4 " + extra);
  }

  std::vector<TuneRecord> records() const {
    std::vector<TuneRecord> all;
    for (const auto& [key, recs] : TuningCache(cache_).list("broken"))
      if (key.variant == "tuned") all.insert(all.end(), recs.begin(), recs.end());
    return all;
  }

  fs::path cache_;
};

TEST_F(BrokenKernelsGpu, EveryFaultAndHangIsRecordedAndTheRunFinishes) {
  const Ran ran = tune("");
  SCOPED_TRACE(ran.output);
  ASSERT_EQ(ran.exit_code, 0);
  // The winner is correct, and every candidate has a record: 2 timed, 8 failed.
  EXPECT_NE(ran.output.find("chosen: tuned:BREAK=0,THREADS="), std::string::npos);
  const auto recs = records();
  ASSERT_EQ(recs.size(), 10u);
  size_t ok = 0, faults = 0, hangs = 0;
  for (const auto& r : recs) {
    ok += r.ok;
    if (r.ok) EXPECT_EQ(r.params.at("BREAK"), 0);
    faults += r.failure.rfind("fault", 0) == 0 || r.failure.rfind("crash", 0) == 0;
    hangs += r.failure.rfind("hang", 0) == 0;
    if (r.params.at("BREAK") == 2) EXPECT_EQ(r.failure.rfind("hang", 0), 0u) << r.candidate_id << ": " << r.failure;
  }
  EXPECT_EQ(ok, 2u);
  EXPECT_EQ(faults, 6u);
  EXPECT_EQ(hangs, 2u);
  // Each broken candidate can be run again with one printed command, from a kept source.
  EXPECT_EQ(count(ran.output, "reproduce: kpg run"), 8u);
  size_t kept = 0;
  for (const auto& dir : fs::directory_iterator(cache_ / "failed")) {
    EXPECT_TRUE(fs::exists(dir.path() / "broken.cu"));
    std::ifstream log(dir.path() / "failures.txt");
    for (std::string line; std::getline(log, line);) ++kept;
  }
  EXPECT_EQ(kept, 8u);
}

TEST_F(BrokenKernelsGpu, ASecondRunFindsEverythingRecordedAndTimesNothing) {
  ASSERT_EQ(tune("").exit_code, 0);
  const Ran again = tune("");
  SCOPED_TRACE(again.output);
  EXPECT_EQ(again.exit_code, 0);
  EXPECT_NE(again.output.find("0 timed, 0 failed now"), std::string::npos);
  EXPECT_EQ(again.output.find("worker restarted"), std::string::npos);
}

TEST_F(BrokenKernelsGpu, InProcessAFaultStopsTheRunButKeepsItsRecords) {
  const Ran ran = tune("--in-process --variant tuned");
  SCOPED_TRACE(ran.output);
  EXPECT_EQ(ran.exit_code, 1);
  EXPECT_NE(ran.output.find("faulted on the GPU"), std::string::npos);
  // The first candidate in grid order (BREAK=1) faulted, is recorded as such, and
  // nothing ran after it.
  const auto recs = records();
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs.front().params.at("BREAK"), 1);
  EXPECT_EQ(recs.front().failure.rfind("fault", 0), 0u);
}

}  // namespace
}  // namespace kpg
