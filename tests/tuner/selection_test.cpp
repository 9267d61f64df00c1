// Choosing from recorded timings without a GPU: best and runner-up, noise, dead
// candidates, failures; the nearest tuned shape for --no-tune.

#include <gtest/gtest.h>

#include "tests/tuner/tuner_test_support.hpp"
#include "tuner/selection.hpp"

namespace kpg {
namespace {

TuneRecord timed(const std::string& id, double median, double spread = 1.0) {
  TuneRecord r;
  r.candidate_id = id;
  r.params = {{"P", static_cast<int64_t>(id.size())}};
  r.variant = "fused";
  r.ok = true;
  r.median_ms = median;
  r.min_ms = median * 0.99;
  r.spread_pct = spread;
  r.reps = 50;
  return r;
}

TuneRecord failed(const std::string& id, const std::string& why) {
  TuneRecord r;
  r.candidate_id = id;
  r.variant = "fused";
  r.failure = why;
  return r;
}

TEST(SelectBest, FastestLiveOkCandidateWins) {
  const std::vector<TuneRecord> records{timed("a", 2.0), timed("b", 1.0), failed("c", "wrong result: max err 3"),
                                        timed("gone", 0.1), timed("d", 1.5)};
  const Selection s = select_best(records, {"a", "b", "c", "d"});  // "gone" left the grid
  ASSERT_TRUE(s.best);
  EXPECT_EQ(s.best->candidate_id, "b");
  ASSERT_TRUE(s.runner_up);
  EXPECT_EQ(s.runner_up->candidate_id, "d");
  EXPECT_FALSE(s.within_noise);  // 50% apart, 1% spread
}

TEST(SelectBest, WrongOrFailedCandidatesAreNeverChosen) {
  const Selection s = select_best({failed("a", "wrong result: max err 1e3"), failed("b", "compile error: x")}, {"a", "b"});
  EXPECT_FALSE(s.best);
  EXPECT_FALSE(s.runner_up);
  EXPECT_FALSE(select_best({}, {"a"}).best);
}

TEST(SelectBest, WithinNoiseUsesTheLargerSpread) {
  // 2% apart: within a 3% spread of either record, not within 1%.
  EXPECT_TRUE(select_best({timed("a", 1.00, 3.0), timed("b", 1.02, 0.5)}, {"a", "b"}).within_noise);
  EXPECT_TRUE(select_best({timed("a", 1.00, 0.5), timed("b", 1.02, 3.0)}, {"a", "b"}).within_noise);
  EXPECT_FALSE(select_best({timed("a", 1.00, 1.0), timed("b", 1.02, 1.0)}, {"a", "b"}).within_noise);
  const Selection alone = select_best({timed("a", 1.0, 50.0)}, {"a"});
  EXPECT_FALSE(alone.within_noise);
  EXPECT_FALSE(alone.runner_up);
}

TEST(SelectBest, LatestRecordOfACandidateCounts) {
  // "a" was re-measured (e.g. the noise rematch) and is slower now.
  const Selection s = select_best({timed("a", 1.0), timed("b", 1.5), timed("a", 2.0)}, {"a", "b"});
  EXPECT_EQ(s.best->candidate_id, "b");
  EXPECT_DOUBLE_EQ(s.runner_up->median_ms, 2.0);
}

TEST(SelectBest, TiesGoToTheLowerMinThenTheId) {
  TuneRecord a = timed("a", 1.0), b = timed("b", 1.0);
  b.min_ms = a.min_ms - 0.01;
  EXPECT_EQ(select_best({a, b}, {"a", "b"}).best->candidate_id, "b");
  EXPECT_EQ(select_best({timed("y", 1.0), timed("x", 1.0)}, {"x", "y"}).best->candidate_id, "x");
}

TEST(NearestTuned, PicksTheShapeClosestInLogSpace) {
  const std::vector<std::pair<std::string, std::vector<TuneRecord>>> tuned{
      {"M<=4096,N=1024,dtype=f32", {timed("near", 1.0)}},
      {"M<=4096,N=8192,dtype=f32", {timed("far", 1.0)}},
      {"M<=512,N=2048,dtype=f32", {timed("other", 1.0)}},
      {"M<=4096,N=2048,dtype=f16", {timed("f16", 1.0)}},  // another dtype: never borrowed
  };
  const std::set<std::string> live{"near", "far", "other", "f16"};
  // Target N=2000: log2 distance to 1024 is ~0.97, to 8192 ~2.03; M=512 is 3 octaves away.
  const auto n = nearest_tuned("M<=4096,N=2000,dtype=f32", tuned, live);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->candidate_id, "near");
  EXPECT_EQ(n->shape_key, "M<=4096,N=1024,dtype=f32");
  EXPECT_NEAR(n->distance, std::log2(2000.0 / 1024.0), 1e-9);
  EXPECT_EQ(n->params, timed("near", 1.0).params);
  // With only N, the 8192 entry is nearer to N=6000.
  EXPECT_EQ(nearest_tuned("M<=4096,N=6000,dtype=f32", tuned, live)->candidate_id, "far");
  EXPECT_FALSE(nearest_tuned("M<=4096,N=2000,dtype=bf16", tuned, live));
}

TEST(NearestTuned, ASwitchDimAtZeroMatchesOnlyItself) {
  const std::vector<std::pair<std::string, std::vector<TuneRecord>>> tuned{
      {"B=4,CAUSAL=1,D=64,H=32,N=4096,dtype=f16", {timed("causal", 1.0)}},
      {"B=4,CAUSAL=0,D=64,H=32,N=1024,dtype=f16", {timed("full", 1.0)}},
  };
  const std::set<std::string> live{"causal", "full"};
  // Non-causal N=4096 borrows the non-causal N=1024 entry, never the causal one at its own N.
  const auto n = nearest_tuned("B=4,CAUSAL=0,D=64,H=32,N=4096,dtype=f16", tuned, live);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->candidate_id, "full");
  EXPECT_NEAR(n->distance, 2.0, 1e-9);
  EXPECT_EQ(nearest_tuned("B=4,CAUSAL=1,D=64,H=32,N=1024,dtype=f16", tuned, live)->candidate_id, "causal");
}

TEST(NearestTuned, BorrowsOnlyCandidatesThatAreLiveAtTheTarget) {
  const std::vector<std::pair<std::string, std::vector<TuneRecord>>> tuned{
      {"M<=64,N=64,dtype=f32", {timed("big-vec", 0.5), timed("small-vec", 0.7)}},
      {"M<=64,N=4096,dtype=f32", {timed("huge", 0.1)}},
  };
  // At the target, big-vec is pruned: the nearest shape's best live candidate is used.
  const auto n = nearest_tuned("M<=64,N=100,dtype=f32", tuned, {"small-vec"});
  ASSERT_TRUE(n);
  EXPECT_EQ(n->candidate_id, "small-vec");
  // A shape none of whose candidates are live is skipped.
  EXPECT_FALSE(nearest_tuned("M<=64,N=100,dtype=f32", tuned, {"nothing"}));
}

TEST(NearestTuned, FromTheCacheOnlyMatchingSourceAndDevice) {
  test::TempDir dir;
  TuningCache cache(dir.path());
  CacheKey key{"tiny", "hash1", "H100|sm_90|132", "1", "1", "M<=64,N=1024,dtype=f32", "fused"};
  CacheKey stale = key, elsewhere = key, target = key;
  stale.source_hash = "hash0";
  stale.shape_key = "M<=64,N=1000,dtype=f32";  // nearer, but for an older kernel
  elsewhere.device = "A100|sm_80|108";
  elsewhere.shape_key = "M<=64,N=999,dtype=f32";
  target.shape_key = "M<=64,N=998,dtype=f32";
  target.driver_version = "2";  // a driver update keeps the guess usable
  cache.append(key, timed("good", 1.0));
  cache.append(stale, timed("stale", 1.0));
  cache.append(elsewhere, timed("elsewhere", 1.0));
  const auto n = nearest_tuned(cache, target, {"good", "stale", "elsewhere"});
  ASSERT_TRUE(n);
  EXPECT_EQ(n->candidate_id, "good");
  EXPECT_EQ(n->shape_key, key.shape_key);
}

}  // namespace
}  // namespace kpg
