// `kpg tune` on an op whose candidates fault (illegal address, misaligned store, trap) or
// never end (tests/data/broken.yaml): the run goes on to the end, each broken candidate is
// recorded with its reason and a repro command, the correct ones are timed and one wins.
// `kpg run` over the same candidates: each broken one is reported (fault or hang) with a
// repro command, the run goes on in a fresh worker, and the summary and exit code say so.
// A reference kernel that hangs (tests/data/hung_reference.yaml) ends tune and run.

#include <gtest/gtest.h>

#include <chrono>
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

// How kpg run names a unit of the tuned variant in its failure lines.
std::string fmt_unit(int brk, int threads) {
  return "tuned tuned:BREAK=" + std::to_string(brk) + ",THREADS=" + std::to_string(threads) + " at N=65537,dtype=f32: ";
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

  Ran run(const std::string& extra) {
    return run_shell("KPG_CACHE_DIR=" + cache_.string() + " " + KPG_TEST_KPG_BINARY + " run " + KPG_TEST_SOURCE_DIR +
                     "/data/broken.yaml " + extra);
  }

  // `kpg COMMAND` on tests/data/hung_reference.yaml, whose reference kernel never ends.
  Ran hung_reference(const std::string& command) {
    return run_shell("KPG_CACHE_DIR=" + cache_.string() + " timeout 120 " + KPG_TEST_KPG_BINARY + " " + command + " " +
                     KPG_TEST_SOURCE_DIR + "/data/hung_reference.yaml --watchdog 3");
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
    if (r.ok) {
      EXPECT_EQ(r.params.at("BREAK"), 0);
    }
    faults += r.failure.rfind("fault", 0) == 0 || r.failure.rfind("crash", 0) == 0;
    hangs += r.failure.rfind("hang", 0) == 0;
    if (r.params.at("BREAK") == 2) {
      EXPECT_EQ(r.failure.rfind("hang", 0), 0u) << r.candidate_id << ": " << r.failure;
    }
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
  EXPECT_EQ(again.output.find(" restarted after "), std::string::npos);
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

// The counts of kpg run's summary line "N unit(s): A ok, B wrong, C fault, D hang, E crash, F error".
struct RunSummary {
  int units = -1, ok = -1, wrong = -1, fault = -1, hang = -1, crash = -1, error = -1;
};
RunSummary run_summary(const std::string& output) {
  RunSummary s;
  const size_t at = output.rfind(" unit(s): ");
  if (at == std::string::npos) return s;
  const size_t line = output.rfind('\n', at);
  std::sscanf(output.c_str() + (line == std::string::npos ? 0 : line + 1),
              "%d unit(s): %d ok, %d wrong, %d fault, %d hang, %d crash, %d error", &s.units, &s.ok, &s.wrong, &s.fault,
              &s.hang, &s.crash, &s.error);
  return s;
}

TEST_F(BrokenKernelsGpu, RunReportsEachFaultAndHangAndGoesOnInAFreshWorker) {
  // All 10 candidates, one unit each, in grid order: BREAK 1 faults, 2 hangs, 0 passes, 3 and 4 fault.
  const double watchdog_s = 4;
  std::string params;
  for (int threads : {128, 256})
    for (int brk : {1, 2, 0, 3, 4}) params += " --params BREAK=" + std::to_string(brk) + ",THREADS=" + std::to_string(threads);
  const auto t0 = std::chrono::steady_clock::now();
  const Ran ran = run("--variant tuned --check-only --watchdog 4" + params);
  const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  SCOPED_TRACE(ran.output);
  EXPECT_EQ(ran.exit_code, 1);
  for (int threads : {128, 256})
    for (int brk : {1, 2, 0, 3, 4}) {
      const std::string unit = fmt_unit(brk, threads);
      const bool hang = ran.output.find("HANG " + unit) != std::string::npos;
      const bool fault = ran.output.find("FAULT " + unit) != std::string::npos ||
                         ran.output.find("CRASH " + unit) != std::string::npos;
      if (brk == 0) {
        EXPECT_FALSE(hang || fault) << unit;
      } else if (brk == 2) {
        EXPECT_TRUE(hang) << unit;
      } else {
        EXPECT_TRUE(fault) << unit;
        EXPECT_EQ(ran.output.find("FAULT " + unit + "CUDA_ERROR_"), ran.output.find("FAULT " + unit)) << unit;
      }
    }
  EXPECT_EQ(count(ran.output, "reproduce: kpg run"), 8u);
  const RunSummary s = run_summary(ran.output);
  EXPECT_EQ(s.units, 10);
  EXPECT_EQ(s.ok, 2);
  EXPECT_EQ(s.wrong, 0);
  EXPECT_EQ(s.fault + s.crash, 6);
  EXPECT_EQ(s.hang, 2);
  EXPECT_EQ(s.error, 0);
  // Each hang costs the watchdog; each failed unit one fresh worker (context, compile from
  // the cubin cache, reference): generously 10 s each, plus 20 s for the first.
  const double hangs = 2, fresh_workers = 8;
  EXPECT_GE(wall_s, hangs * watchdog_s);
  EXPECT_LT(wall_s, hangs * watchdog_s + fresh_workers * 10 + 20);
}

TEST_F(BrokenKernelsGpu, RunAllSpacesCheckOnlyPassesOnTheDefaults) {
  const Ran ran = run("--all-spaces --check-only");
  SCOPED_TRACE(ran.output);
  EXPECT_EQ(ran.exit_code, 0);
  const RunSummary s = run_summary(ran.output);
  EXPECT_EQ(s.units, 2);  // the reference's and tuned's (BREAK=0) defaults
  EXPECT_EQ(s.ok, 2);
}

TEST_F(BrokenKernelsGpu, RunTimesTheUnitsAfterAFaultInAFreshWorker) {
  const Ran ran = run("--variant tuned --params BREAK=0,THREADS=256 --params BREAK=3,THREADS=256 --params BREAK=0,THREADS=128");
  SCOPED_TRACE(ran.output);
  EXPECT_EQ(ran.exit_code, 1);
  EXPECT_NE(ran.output.find("FAULT " + fmt_unit(3, 256) + "CUDA_ERROR_MISALIGNED_ADDRESS"), std::string::npos);
  const RunSummary s = run_summary(ran.output);
  EXPECT_EQ(s.units, 3);
  EXPECT_EQ(s.ok, 2);
  EXPECT_EQ(s.fault, 1);
  EXPECT_NE(ran.output.find("1 fresh worker process(es)"), std::string::npos);
}

TEST_F(BrokenKernelsGpu, RunInProcessStopsAtTheFirstFault) {
  const Ran ran = run("--in-process --variant tuned --check-only --params BREAK=1,THREADS=128 --params BREAK=0,THREADS=128");
  SCOPED_TRACE(ran.output);
  EXPECT_EQ(ran.exit_code, 1);
  EXPECT_NE(ran.output.find("FAULT " + fmt_unit(1, 128) + "CUDA_ERROR_"), std::string::npos);
  EXPECT_NE(ran.output.find("the run stopped at the fault"), std::string::npos);
  const RunSummary s = run_summary(ran.output);
  EXPECT_EQ(s.units, 1);
  EXPECT_EQ(s.fault, 1);
}

// The reference kernel is held to the watchdog like a candidate: when it hangs, the worker
// is killed and the run ends naming it, with no restart (which would hang the same way).
TEST_F(BrokenKernelsGpu, AHungReferenceKernelEndsTuneWithoutARestart) {
  const auto t0 = std::chrono::steady_clock::now();
  const Ran ran = hung_reference("tune");
  SCOPED_TRACE(ran.output);
  EXPECT_EQ(ran.exit_code, 1);
  EXPECT_NE(ran.output.find("the reference kernel (variant 'reference', reference:BREAK=2) hung: no result after 3 s "
                            "(the worker was killed)"),
            std::string::npos);
  EXPECT_EQ(ran.output.find("restarted"), std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(60)) << "the watchdog ended it, not the timeout";
}

TEST_F(BrokenKernelsGpu, AHungReferenceKernelEndsRunWithoutARestart) {
  const auto t0 = std::chrono::steady_clock::now();
  const Ran ran = hung_reference("run --variant tuned");
  SCOPED_TRACE(ran.output);
  EXPECT_EQ(ran.exit_code, 1);
  EXPECT_NE(ran.output.find("kpg: error: kpg run worker: the reference kernel (variant 'reference', "
                            "reference:BREAK=2) hung: no result after 3 s"),
            std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(60));
}

}  // namespace
}  // namespace kpg
