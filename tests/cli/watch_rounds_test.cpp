// Watch rounds without a GPU, driven directly on a copy of a small op in a temp folder:
// what a round compiles and prints, and that a broken kernel or config is reported
// while the next round goes on.

#include "cli/watch/watch_rounds.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

#include "cli/watch/watch_loop.hpp"
#include "cli_test_support.hpp"
#include "runtime/cubin_cache.hpp"

namespace kpg {
namespace {

namespace fs = std::filesystem;
using test::count;
using test::write_by_rename;
using test::normal;
using test::write_in_place;

class WatchRoundsTest : public ::testing::Test {
 protected:
  WatchRoundsTest() : op_(test::write_copy_op(dir_.path() / "op")), cache_(dir_.path() / "cache"), compiler_(&cache_) {
    settings_.config_file = op_.config;
    settings_.kernels_dir = dir_.path() / "kernels";  // empty: everything is found next to the config
  }

  // Runs one round and returns what it printed.
  std::string round(WatchRounds& rounds, const std::set<fs::path>& changed = {}) {
    const auto before = out_.str().size();
    outcome_ = rounds.run(changed);
    return out_.str().substr(before);
  }

  test::TempDir dir_;
  test::WatchedOp op_;
  CubinCache cache_;
  Compiler compiler_;
  WatchSettings settings_;
  std::ostringstream out_;
  RoundOutcome outcome_;
};

TEST_F(WatchRoundsTest, FirstRoundCompilesEachVariantsDefaultAndWatchesItsFiles) {
  WatchRounds rounds(settings_, compiler_, nullptr, out_);
  const std::string out = round(rounds);
  EXPECT_NE(out.find("== round 1\n"), std::string::npos) << out;
  EXPECT_NE(out.find("copy at N=4096,dtype=f32: 2 variant(s), compile only for sm_90"), std::string::npos) << out;
  EXPECT_NE(out.find("plain  compiled in "), std::string::npos) << out;
  EXPECT_NE(out.find("tuned  compiled in "), std::string::npos) << out;
  EXPECT_EQ(count(out, "(cubin cache miss)"), 2) << out;
  EXPECT_NE(out.find("THREADS=128 (config default), sm_90: "), std::string::npos) << out;
  EXPECT_NE(out.find("registers, no spills"), std::string::npos) << out;
  EXPECT_EQ(outcome_.ok, 2u);
  EXPECT_EQ(outcome_.exit_code(), 0);
  EXPECT_EQ(rounds.watched_files(),
            (std::vector<fs::path>{normal(op_.config), normal(op_.source), normal(op_.common), normal(op_.math)}));
}

TEST_F(WatchRoundsTest, UnchangedFilesAreCubinCacheHitsAndAHeaderEditRecompiles) {
  WatchRounds rounds(settings_, compiler_, nullptr, out_);
  round(rounds);
  const std::string same = round(rounds, {normal(op_.source)});
  EXPECT_EQ(count(same, "(cubin cache hit); last round "), 2) << same;

  write_by_rename(op_.math, "#pragma once\n__device__ __forceinline__ float same(float v) { return v * 1.0f; }\n");
  const std::string edited = round(rounds, {normal(op_.math)});
  EXPECT_NE(edited.find("== round 3: copy_math.cuh changed"), std::string::npos) << edited;
  EXPECT_EQ(count(edited, "(cubin cache miss)"), 2) << edited;  // the header is part of both keys
  EXPECT_EQ(outcome_.exit_code(), 0);
}

TEST_F(WatchRoundsTest, ACompileErrorShowsTheSourceLineAndTheNextRoundGoesOn) {
  settings_.target.variants = {"tuned"};
  WatchRounds rounds(settings_, compiler_, nullptr, out_);
  round(rounds);
  const std::string good = test::read_text(op_.source);
  std::string broken = good;
  broken.replace(broken.find("same(x[i]);"), 11, "same(x[i]) + undefined_value;");
  write_by_rename(op_.source, broken);

  const std::string failed = round(rounds, {normal(op_.source)});
  EXPECT_EQ(outcome_.compile_errors, 1u);
  EXPECT_EQ(outcome_.exit_code(), 2);
  EXPECT_NE(failed.find("tuned  COMPILE ERROR (THREADS=128)"), std::string::npos) << failed;
  EXPECT_NE(failed.find("undefined_value"), std::string::npos) << failed;
  // The offending line, as file:line: text (line 11 of the kernel).
  EXPECT_NE(failed.find("offending source lines:\n  " + normal(op_.source).string() +
                        ":11:   if (i < n) y[i] = same(x[i]) + undefined_value;"),
            std::string::npos)
      << failed;

  write_by_rename(op_.source, good);
  const std::string fixed = round(rounds, {normal(op_.source)});
  EXPECT_EQ(outcome_.exit_code(), 0) << fixed;
  // The source is what it was in round 1: its cubin is still cached.
  EXPECT_NE(fixed.find("tuned  compiled in "), std::string::npos) << fixed;
  EXPECT_NE(fixed.find("(cubin cache hit)"), std::string::npos) << fixed;
}

TEST_F(WatchRoundsTest, AYamlErrorIsOneLineWithFileLineColumnAndKey) {
  WatchRounds rounds(settings_, compiler_, nullptr, out_);
  round(rounds);
  std::string yaml = test::kCopyYaml;
  yaml.replace(yaml.find("    default: {THREADS: 128}"), 27, "    default: {THREADS: 128}\n    unknown_key: 1");
  write_in_place(op_.config, yaml);

  const std::string failed = round(rounds, {normal(op_.config)});
  EXPECT_FALSE(outcome_.config_ok);
  EXPECT_EQ(outcome_.exit_code(), 2);
  ASSERT_EQ(count(failed, "config error: "), 1) << failed;
  const std::string line = failed.substr(failed.find("config error: "));
  EXPECT_EQ(count(line, "\n"), 1) << "one line: " << line;
  EXPECT_NE(line.find(op_.config.string() + ":23:5: variants.tuned.unknown_key"), std::string::npos) << line;
  // Still watching everything, so fixing the YAML starts the next round.
  EXPECT_EQ(rounds.watched_files().size(), 4u);

  write_in_place(op_.config, test::kCopyYaml);
  const std::string fixed = round(rounds, {normal(op_.config)});
  EXPECT_EQ(outcome_.exit_code(), 0) << fixed;
}

TEST_F(WatchRoundsTest, AnEditedDefaultIsWhatTheNextRoundCompiles) {
  settings_.target.variants = {"tuned"};
  WatchRounds rounds(settings_, compiler_, nullptr, out_);
  round(rounds);
  std::string yaml = test::kCopyYaml;
  yaml.replace(yaml.find("default: {THREADS: 128}"), 23, "default: {THREADS: 256}");
  write_in_place(op_.config, yaml);
  const std::string out = round(rounds, {normal(op_.config)});
  EXPECT_NE(out.find("THREADS=256 (config default)"), std::string::npos) << out;
  EXPECT_NE(out.find("(cubin cache miss)"), std::string::npos) << out;
}

TEST_F(WatchRoundsTest, ADeletedSourceIsReportedAndStaysWatched) {
  WatchRounds rounds(settings_, compiler_, nullptr, out_);
  round(rounds);
  const std::string text = test::read_text(op_.source);
  fs::remove(op_.source);
  const std::string out = round(rounds, {normal(op_.source)});
  EXPECT_EQ(outcome_.exit_code(), 2) << out;
  EXPECT_NE(out.find("cannot read kernel source " + normal(op_.source).string()), std::string::npos) << out;
  EXPECT_NE(std::find(rounds.watched_files().begin(), rounds.watched_files().end(), normal(op_.source)),
            rounds.watched_files().end());
  write_in_place(op_.source, text);
  round(rounds, {normal(op_.source)});
  EXPECT_EQ(outcome_.exit_code(), 0);
}

TEST_F(WatchRoundsTest, ABadShapeFlagIsReportedLikeAConfigError) {
  settings_.target.shape = "N=0";
  WatchRounds rounds(settings_, compiler_, nullptr, out_);
  const std::string out = round(rounds);
  EXPECT_EQ(outcome_.exit_code(), 2);
  EXPECT_NE(out.find("config error: --shape"), std::string::npos) << out;
}

TEST_F(WatchRoundsTest, AStopRequestEndsTheRoundBeforeTheNextVariant) {
  settings_.stop_requested = [] { return true; };
  WatchRounds rounds(settings_, compiler_, nullptr, out_);
  const std::string out = round(rounds);
  EXPECT_EQ(out.find("compiled in"), std::string::npos) << out;
  EXPECT_EQ(outcome_.ok, 0u);
}

// One round, a short debounce; the other options at their defaults.
LoopOptions once_quickly() {
  LoopOptions o;
  o.once = true;
  o.debounce = std::chrono::milliseconds(10);
  return o;
}

TEST_F(WatchRoundsTest, OnceRunsOneRoundAndReturnsItsExitCode) {
  WatchRounds rounds(settings_, compiler_, nullptr, out_);
  EXPECT_EQ(run_watch_loop(rounds, once_quickly(), out_), 0);
  EXPECT_EQ(rounds.rounds(), 1);
  EXPECT_NE(out_.str().find("start -> result: "), std::string::npos) << out_.str();

  write_in_place(op_.source, "this is not CUDA\n");
  WatchRounds broken(settings_, compiler_, nullptr, out_);
  EXPECT_EQ(run_watch_loop(broken, once_quickly(), out_), 2);
}

}  // namespace
}  // namespace kpg
