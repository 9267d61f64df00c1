// The budgeted search on a synthetic cost landscape (no GPU): it measures exactly the
// budget, never twice the same candidate, and finds a configuration within a few percent
// of the exhaustive best while measuring a small fraction of the space.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "tuner/budget_search.hpp"
#include "tuner/config.hpp"
#include "tuner/gpu.hpp"
#include "tuner/space.hpp"

namespace kpg {
namespace {

// Two spaces like a GEMM-ish kernel: a 400-point tiled space whose bowl has its minimum
// at BM=64, BN=128, K=4, STAGES=3, with an interaction between BM and BN, a resource
// wall (BM*BN*STAGES too large fails) and +-2% deterministic noise; and a 20-point
// simple space whose best is 30% slower (a local optimum in another space).
std::vector<Candidate> landscape_candidates() {
  std::vector<Candidate> out;
  for (int64_t bm : {16, 32, 64, 128, 256})
    for (int64_t bn : {16, 32, 64, 128, 256})
      for (int64_t k : {1, 2, 4, 8})
        for (int64_t stages : {1, 2, 3, 4})
          out.push_back({"v", 0, "tiled", {{"BM", bm}, {"BN", bn}, {"K", k}, {"STAGES", stages}}, bm == 32 && bn == 32 && k == 1 && stages == 1});
  for (int64_t t : {64, 128, 256, 512, 1024})
    for (int64_t vec : {1, 2, 4, 8}) out.push_back({"v", 1, "simple", {{"T", t}, {"VEC", vec}}, t == 256 && vec == 1});
  return out;
}

double noise(const Candidate& c) {
  uint64_t h = 1469598103934665603ULL;
  for (char ch : c.id()) h = (h ^ static_cast<unsigned char>(ch)) * 1099511628211ULL;
  return 1.0 + 0.02 * (static_cast<double>(h % 2001) / 1000.0 - 1.0);
}

double cost(const Candidate& c) {
  const auto l = [&](const char* p) { return std::log2(static_cast<double>(c.params.at(p))); };
  if (c.space_index == 1) return (1.3 + 0.2 * std::pow(l("T") - 8, 2) + 0.2 * std::pow(l("VEC") - 2, 2)) * noise(c);
  if (c.params.at("BM") * c.params.at("BN") * c.params.at("STAGES") > 64 * 256 * 3) return std::numeric_limits<double>::infinity();
  const double bowl = 0.3 * std::pow(l("BM") - 6, 2) + 0.2 * std::pow(l("BN") - 7, 2) + 0.15 * std::pow(l("K") - 2, 2) +
                      0.1 * std::pow(static_cast<double>(c.params.at("STAGES")) - 3, 2) + 0.1 * std::pow(l("BM") - l("BN") + 1, 2);
  return (1.0 + bowl) * noise(c);
}

TEST(BudgetSearch, FindsNearTheExhaustiveBestWithAFractionOfTheBudget) {
  const auto candidates = landscape_candidates();
  double exhaustive = std::numeric_limits<double>::infinity();
  for (const auto& c : candidates) exhaustive = std::min(exhaustive, cost(c));
  const size_t budget = candidates.size() / 7;  // 60 of 420
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    double found = std::numeric_limits<double>::infinity();
    const auto order = budget_order(candidates, budget, seed, [&](const Candidate& c) {
      const double ms = cost(c);
      found = std::min(found, ms);
      return ms;
    });
    EXPECT_EQ(order.size(), budget);
    EXPECT_EQ(std::set<size_t>(order.begin(), order.end()).size(), budget) << "a candidate measured twice";
    EXPECT_LE(found, exhaustive * 1.05) << "seed " << seed;
  }
}

// Shaped like the attention grid: WARPS=4 needs Q_IN_REGS=0 (those points are pruned, so
// absent), the default sits in a good basin (WARPS=8, Q_IN_REGS=1), the way out of it along
// one param (Q_IN_REGS=0 at WARPS=8) is slow, and the best lies across the constraint.
std::vector<Candidate> coupled_candidates() {
  std::vector<Candidate> out;
  for (int64_t warps : {4, 8})
    for (int64_t qregs : {0, 1})
      for (int64_t bn : {32, 64, 128})
        for (int64_t stages : {2, 3}) {
          if (warps == 4 && qregs == 1) continue;  // pruned by the constraint
          const bool is_default = warps == 8 && qregs == 1 && bn == 64 && stages == 2;
          out.push_back({"v", 0, "mma", {{"WARPS", warps}, {"Q_IN_REGS", qregs}, {"BLOCK_N", bn}, {"STAGES", stages}}, is_default});
        }
  return out;
}

double coupled_cost(const Candidate& c) {
  const auto& p = c.params;
  const double bn = std::abs(std::log2(static_cast<double>(p.at("BLOCK_N"))) - (p.at("WARPS") == 4 ? 5 : 6));
  if (p.at("Q_IN_REGS") == 1) return 1.06 + 0.02 * bn + 0.01 * (p.at("STAGES") == 2);
  if (p.at("WARPS") == 8) return 1.30 + 0.02 * bn;
  return 1.00 + 0.03 * bn + 0.01 * (p.at("STAGES") == 3);
}

// How many of seeds 1..100 find a candidate within 3 % of the best (1.00) in `budget`.
int seeds_near_best(const std::vector<Candidate>& candidates, size_t budget) {
  int near = 0;
  for (uint64_t seed = 1; seed <= 100; ++seed) {
    double found = std::numeric_limits<double>::infinity();
    budget_order(candidates, budget, seed, [&](const Candidate& c) {
      found = std::min(found, coupled_cost(c));
      return coupled_cost(c);
    });
    near += found <= 1.03;
  }
  return near;
}

// One-step moves alone: 0 of 100 seeds at budget 6, 39 at budget 10 (measured before the
// repaired steps existed).
TEST(BudgetSearch, CrossesAConstraintThatCouplesTwoParams) {
  const auto candidates = coupled_candidates();
  ASSERT_EQ(candidates.size(), 18u);
  EXPECT_GE(seeds_near_best(candidates, 6), 60);
  EXPECT_EQ(seeds_near_best(candidates, 10), 100);
}

TEST(BudgetSearch, SameSeedSameOrder) {
  const auto candidates = landscape_candidates();
  const auto measure = [](const Candidate& c) { return cost(c); };
  EXPECT_EQ(budget_order(candidates, 30, 7, measure), budget_order(candidates, 30, 7, measure));
  EXPECT_NE(budget_order(candidates, 30, 7, measure), budget_order(candidates, 30, 8, measure));
}

TEST(BudgetSearch, StartsWithTheDefaults) {
  const auto candidates = landscape_candidates();
  const auto order = budget_order(candidates, 40, 3, [](const Candidate& c) { return cost(c); });
  ASSERT_GE(order.size(), 2u);
  EXPECT_TRUE(candidates[order[0]].is_default);
  EXPECT_TRUE(candidates[order[1]].is_default);
}

// Space 0's default is pruned at the shape: the search starts there from its surviving
// candidate fewest steps away (the first of a tie), then takes space 1's default.
TEST(BudgetSearch, APrunedDefaultIsStandedInForByItsNearestSurvivor) {
  std::vector<Candidate> candidates;
  for (const auto& [a, steps] : std::vector<std::pair<int64_t, int>>{{1, 3}, {2, 2}, {5, 1}, {6, 1}})
    candidates.push_back({"v", 0, "ws", {{"A", a}}, false, steps});
  for (int64_t b = 1; b <= 6; ++b)  // default B = 2
    candidates.push_back({"v", 1, "plain", {{"B", b}}, b == 2, static_cast<int>(std::abs(b - 2))});
  std::vector<size_t> first;
  budget_order(candidates, 5, 11, [&](const Candidate& c) {
    first.push_back(static_cast<size_t>(&c - candidates.data()));
    return 1.0;
  });
  ASSERT_GE(first.size(), 1u);
  EXPECT_EQ(first[0], 2u) << "space 0 starts one step from its default, at the first such candidate";
  first.clear();
  budget_order(candidates, 8, 11, [&](const Candidate& c) {
    first.push_back(static_cast<size_t>(&c - candidates.data()));
    return 1.0;
  });
  ASSERT_GE(first.size(), 2u);
  EXPECT_EQ(first[1], 5u) << "then space 1's own default";
}

// The shipped attention grid at D = 128, causal: stage 3's default (three consumers,
// BLOCK_N 128) is pruned there (the causal masks' registers), and the search starts that
// space from two consumers at the same tile, one step away, before stage 2's default.
TEST(BudgetSearch, TheCausalAttentionGridStartsStageThreeNextToItsDefault) {
  const OpConfig config =
      load_config(std::filesystem::path(KPG_TEST_CONFIGS_DIR) / "attention.yaml", KPG_TEST_KERNELS_DIR);
  const Shape shape{{{"B", 4}, {"H", 16}, {"N", 4096}, {"D", 128}, {"CAUSAL", 1}}, DType::f16};
  const auto candidates = enumerate(config, *config.find_variant("flash"), shape, h100_limits(), nullptr);
  std::vector<std::string> first;
  budget_order(candidates, 8, 1, [&](const Candidate& c) {
    first.push_back(c.id());
    return 1.0;
  });
  ASSERT_GE(first.size(), 2u);
  EXPECT_EQ(first[0],
            "wgmma_ws:BLOCK_N=128,CLUSTER=1,EPI_OVERLAP=1,KV_TMA=1,LPT_MB=0,NUM_WG=2,PERSIST=1,PINGPONG=0,PV_LAG=0,"
            "QO_TMA=1,STAGES=2");
  EXPECT_EQ(first[1].rfind("wgmma:", 0), 0u) << first[1];
}

TEST(BudgetSearch, BudgetAtLeastTheSpaceMeasuresEverythingInOrder) {
  const auto candidates = landscape_candidates();
  size_t calls = 0;
  const auto order = budget_order(candidates, 10000, 1, [&](const Candidate&) { return double(++calls); });
  ASSERT_EQ(order.size(), candidates.size());
  for (size_t i = 0; i < order.size(); ++i) EXPECT_EQ(order[i], i);
  EXPECT_TRUE(budget_order(candidates, 0, 1, [](const Candidate&) { return 1.0; }).empty());
}

TEST(BudgetSearch, SurvivesASpaceWhereEverythingFails) {
  const auto candidates = landscape_candidates();
  const auto order = budget_order(candidates, 50, 5, [](const Candidate&) { return std::numeric_limits<double>::infinity(); });
  EXPECT_EQ(std::set<size_t>(order.begin(), order.end()).size(), 50u);
}

TEST(BudgetSearch, NeighboursAreOneStepOfOneParamInTheSameSpace) {
  const auto candidates = landscape_candidates();
  // BM=64, BN=128, K=4, STAGES=3 has 2 neighbours along each of its 4 params.
  const auto centre = std::find_if(candidates.begin(), candidates.end(), [](const Candidate& c) {
    return c.space_index == 0 && c.params.at("BM") == 64 && c.params.at("BN") == 128 && c.params.at("K") == 4 && c.params.at("STAGES") == 3;
  });
  ASSERT_NE(centre, candidates.end());
  const auto n = neighbours(candidates, static_cast<size_t>(centre - candidates.begin()));
  EXPECT_EQ(n.size(), 8u);
  for (size_t j : n) {
    EXPECT_EQ(candidates[j].space_index, 0u);
    int differing = 0;
    for (const auto& [name, v] : centre->params) differing += candidates[j].params.at(name) != v;
    EXPECT_EQ(differing, 1);
  }
  // A corner (the first candidate) has one neighbour per param.
  EXPECT_EQ(neighbours(candidates, 0).size(), 4u);
}

TEST(BudgetSearch, AStepIntoAPrunedPointIsRepairedByOneStepOfAnotherParam) {
  const auto candidates = coupled_candidates();
  const auto at = [&](int64_t warps, int64_t qregs, int64_t bn, int64_t stages) {
    const ParamSet p{{"WARPS", warps}, {"Q_IN_REGS", qregs}, {"BLOCK_N", bn}, {"STAGES", stages}};
    const auto it = std::find_if(candidates.begin(), candidates.end(), [&](const Candidate& c) { return c.params == p; });
    return it == candidates.end() ? candidates.size() : static_cast<size_t>(it - candidates.begin());
  };
  // From WARPS=8, Q_IN_REGS=1, BLOCK_N=64, STAGES=2: Q_IN_REGS 0, BLOCK_N 32 and 128,
  // STAGES 3 (one step each), and for WARPS=4 (pruned at Q_IN_REGS=1) WARPS=4 with
  // Q_IN_REGS=0, the one repair that exists.
  auto n = neighbours(candidates, at(8, 1, 64, 2));
  std::sort(n.begin(), n.end());
  std::vector<size_t> expected{at(8, 0, 64, 2), at(8, 1, 32, 2), at(8, 1, 128, 2), at(8, 1, 64, 3), at(4, 0, 64, 2)};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(n, expected);
}

}  // namespace
}  // namespace kpg
