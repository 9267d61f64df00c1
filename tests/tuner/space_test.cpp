// Search spaces: grid enumeration order, constraint and geometry pruning with counts by
// reason, default marking, candidate ids, scopes and compile defines.

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "tests/tuner/tuner_test_support.hpp"
#include "tuner/space.hpp"

namespace kpg {
namespace {

class SpaceTest : public ::testing::Test {
 protected:
  void SetUp() override { config_ = test::load_yaml(dir_, test::kTinyYaml); }
  Shape shape(int64_t m, int64_t n, DType t = DType::f32) const { return Shape{{{"M", m}, {"N", n}}, t}; }
  const VariantSpec& fused() const { return *config_.find_variant("fused"); }

  test::TempDir dir_;
  OpConfig config_;
};

TEST_F(SpaceTest, CountsPrunedCandidatesByReason) {
  PruneReport report;
  const auto candidates = enumerate(config_, fused(), shape(64, 300), DeviceLimits{}, &report);
  // warp: 3 x 4 = 12, VEC=1 fails N <= VEC*256 for N=300 (4 pruned); block: 5, THREADS=2048 too big.
  EXPECT_EQ(report.total, 17u);
  EXPECT_EQ(report.kept, 12u);
  EXPECT_EQ(candidates.size(), 12u);
  ASSERT_EQ(report.by_reason.size(), 2u);
  const std::string constraint = "constraint {le: [N, {mul: [VEC, 32, 8]}]} (tiny.yaml:28)";
  ASSERT_TRUE(report.by_reason.count(constraint)) << report.by_reason.begin()->first;
  EXPECT_EQ(report.by_reason.at(constraint), 4u);
  EXPECT_EQ(report.by_reason.at("launch k_block: block dimension x above 1024"), 1u);
}

// A constraint built from YAML aliases expands to a page of nested maps: the reason shows
// its line and the comment above it instead.
TEST_F(SpaceTest, LongConstraintIsNamedByItsLineAndComment) {
  std::string yaml = test::kTinyYaml;
  const std::string plain = "          - {le: [N, {mul: [VEC, 32, 8]}]}\n";
  const std::string commented =
      "          # at most 8 chunks a lane,\n"
      "          # for registers\n"
      "          - {le: [N, {mul: [&v {add: [VEC, 0, 0, 0, 0, 0, 0, 0, 0, 0]}, *v, *v, 32, 8]}]}\n";
  ASSERT_NE(yaml.find(plain), std::string::npos);
  yaml.replace(yaml.find(plain), plain.size(), commented);
  test::TempDir dir;
  const OpConfig config = test::load_yaml(dir, yaml);
  PruneReport report;
  enumerate(config, *config.find_variant("fused"), shape(64, 300), DeviceLimits{}, &report);
  const std::string expected = "constraint (tiny.yaml:30) \"at most 8 chunks a lane, for registers\"";
  ASSERT_TRUE(report.by_reason.count(expected)) << report.by_reason.begin()->first;
}

// A space reuses another space's anchored constraint list (`- *alias`) and adds its own:
// the alias's items count one by one, named by their own line.
TEST_F(SpaceTest, AnAliasedConstraintListAddsItsItems) {
  std::string yaml = test::kTinyYaml;
  const std::string warp_list = "        constraints:\n          - {le: [N, {mul: [VEC, 32, 8]}]}\n";
  const std::string block_params = "          THREADS: [128, 256, 512, 1024, 2048]\n";
  ASSERT_NE(yaml.find(warp_list), std::string::npos);
  yaml.replace(yaml.find(warp_list), warp_list.size(),
               "        constraints: &warp_limits\n          - {le: [N, {mul: [VEC, 32, 8]}]}\n");
  yaml.replace(yaml.find(block_params), block_params.size(),
               block_params + "          VEC: [1, 4]\n        constraints:\n          - *warp_limits\n"
                              "          - {ge: [THREADS, 512]}\n");
  test::TempDir dir;
  const OpConfig config = test::load_yaml(dir, yaml);
  const SpaceSpec& block = config.find_variant("fused")->spaces.at(1);
  ASSERT_EQ(block.constraints.size(), 2u);
  PruneReport report;
  const auto kept = enumerate(config, *config.find_variant("fused"), shape(64, 300), DeviceLimits{}, &report);
  // block: 5 THREADS x 2 VEC = 10; VEC=1 fails N <= 256 (5), THREADS 128/256 fail (2 of
  // the 5 left), THREADS=2048 exceeds the block limit: 2 kept (512, 1024 at VEC=4).
  EXPECT_EQ(report.by_reason.at("constraint {le: [N, {mul: [VEC, 32, 8]}]} (tiny.yaml:28)"), 4u + 5u);
  EXPECT_EQ(report.by_reason.at("constraint {ge: [THREADS, 512]} (tiny.yaml:44)"), 2u);
  EXPECT_EQ(kept.size(), 8u + 2u);  // warp keeps 8 of its 12
}

// A space built for an arch-specific target (sm_90a: wgmma) is pruned, with the reason, on
// any other card instead of failing every candidate at module load.
TEST_F(SpaceTest, ASpaceForAnotherArchIsPrunedWithTheReason) {
  std::string yaml = test::kTinyYaml;
  const std::string name = "      - name: warp\n";
  ASSERT_NE(yaml.find(name), std::string::npos);
  yaml.insert(yaml.find(name) + name.size(), "        arch: sm_90a\n");
  test::TempDir dir;
  const OpConfig config = test::load_yaml(dir, yaml);
  DeviceLimits blackwell;
  blackwell.compute_capability = 100;
  PruneReport report;
  const auto kept = enumerate(config, *config.find_variant("fused"), shape(64, 256), blackwell, &report);
  EXPECT_EQ(report.by_reason.at("space 'warp' is built for sm_90a: the device is sm_100"), 12u);
  for (const auto& c : kept) EXPECT_EQ(c.space_name, "block");
  DeviceLimits hopper;
  hopper.compute_capability = 90;
  EXPECT_EQ(enumerate(config, *config.find_variant("fused"), shape(64, 256), hopper, nullptr).size(), 16u);
  // No card (kpg compile --all without a GPU): every space is compiled.
  EXPECT_EQ(enumerate(config, *config.find_variant("fused"), shape(64, 256), DeviceLimits{}, nullptr).size(), 16u);
}

TEST_F(SpaceTest, NothingPrunedWhenTheShapeAllows) {
  PruneReport report;
  const auto candidates = enumerate(config_, fused(), shape(64, 256), DeviceLimits{}, &report);
  EXPECT_EQ(report.total, 17u);
  EXPECT_EQ(report.kept, 16u);  // only THREADS=2048
  EXPECT_EQ(candidates.size(), 16u);
}

TEST_F(SpaceTest, EnumeratesInFileOrderWithTheLastParamFastest) {
  const auto c = enumerate(config_, fused(), shape(64, 300), DeviceLimits{}, nullptr);
  ASSERT_EQ(c.size(), 12u);
  EXPECT_EQ(c[0].id(), "warp:VEC=2,WARPS=1");
  EXPECT_EQ(c[1].id(), "warp:VEC=2,WARPS=2");
  EXPECT_EQ(c[4].id(), "warp:VEC=4,WARPS=1");
  EXPECT_EQ(c[8].id(), "block:THREADS=128");
  EXPECT_EQ(c[11].id(), "block:THREADS=1024");
  EXPECT_EQ(c[8].space_index, 1u);
  EXPECT_EQ(c[8].space_name, "block");
  EXPECT_EQ(c[0].variant, "fused");
  size_t defaults = 0;
  for (const auto& cand : c) {
    if (!cand.is_default) continue;
    ++defaults;
    EXPECT_TRUE(cand.id() == "warp:VEC=4,WARPS=4" || cand.id() == "block:THREADS=128") << cand.id();
  }
  EXPECT_EQ(defaults, 2u);  // one per space
}

// How far each candidate lies from its space's default, in values of each param's list.
TEST_F(SpaceTest, EachCandidateKnowsItsStepsFromItsSpacesDefault) {
  const auto c = enumerate(config_, fused(), shape(64, 300), DeviceLimits{}, nullptr);
  std::map<std::string, int> steps;
  for (const auto& cand : c) {
    steps[cand.id()] = cand.steps_from_default;
    EXPECT_EQ(cand.steps_from_default == 0, cand.is_default) << cand.id();
  }
  EXPECT_EQ(steps.at("warp:VEC=4,WARPS=4"), 0);
  EXPECT_EQ(steps.at("warp:VEC=2,WARPS=1"), 3);  // VEC one value below 4, WARPS two below 4
  EXPECT_EQ(steps.at("warp:VEC=4,WARPS=8"), 1);
  EXPECT_EQ(steps.at("block:THREADS=1024"), 3);
}

TEST_F(SpaceTest, ParamlessVariantHasOneCandidate) {
  const auto c = enumerate(config_, *config_.find_variant("unfused"), shape(64, 300), DeviceLimits{}, nullptr);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].id(), "unfused");
  EXPECT_TRUE(c[0].is_default);
}

TEST_F(SpaceTest, DeviceLimitsPruneThreadsAndSharedMemory) {
  DeviceLimits small;
  small.max_threads_per_block = 256;
  PruneReport report;
  enumerate(config_, fused(), shape(64, 300), small, &report);
  // warp: WARPS=8 is 256 threads, allowed; block: 512 and 1024 over 256, 2048 over CUDA's 1024.
  EXPECT_EQ(report.by_reason.at("launch k_block: block of more than 256 threads"), 2u);
  EXPECT_EQ(report.kept, 8u + 2u);

  DeviceLimits little_smem;
  little_smem.smem_optin = 1024;  // THREADS * 4 bytes: 512 and 1024 exceed it (2048 fails on threads)
  PruneReport smem_report;
  enumerate(config_, fused(), shape(64, 300), little_smem, &smem_report);
  EXPECT_EQ(smem_report.by_reason.at("launch k_block: shared_bytes above the device's 1024 bytes"), 2u);
}

TEST_F(SpaceTest, GeometryThatIsNotIntegerIsPrunedWithItsLine) {
  const std::string yaml = test::replaced(test::kTinyYaml, "block: [THREADS], grid: [M]", "block: [THREADS], grid: [{div: [M, 3]}]");
  test::TempDir dir;
  const OpConfig c = test::load_yaml(dir, yaml);
  PruneReport report;
  const auto kept = enumerate(c, *c.find_variant("fused"), shape(64, 300), DeviceLimits{}, &report);  // 64/3
  EXPECT_EQ(kept.size(), 8u);
  bool found = false;
  for (const auto& [reason, count] : report.by_reason)
    if (reason.find("launch k_block: must evaluate to an integer, got 21.3") == 0 && reason.find("(tiny.yaml:42)") != std::string::npos) {
      found = true;
      EXPECT_EQ(count, 4u);
    }
  EXPECT_TRUE(found);
}

TEST_F(SpaceTest, ScopeHasDimsParamsAndBuiltins) {
  DeviceLimits limits;
  limits.sm_count = 78;
  const Scope s = make_scope(shape(8, 16, DType::bf16), {{"VEC", 4}}, limits);
  EXPECT_EQ(s.at("M"), 8);
  EXPECT_EQ(s.at("N"), 16);
  EXPECT_EQ(s.at("VEC"), 4);
  EXPECT_EQ(s.at("ELEM_BYTES"), 2);
  EXPECT_EQ(s.at("SM_COUNT"), 78);
  EXPECT_EQ(s.at("MAX_THREADS"), 1024);
  EXPECT_EQ(s.at("SMEM_OPTIN"), 227 * 1024);
  EXPECT_EQ(s.at("L2_BYTES"), 50 << 20);
  EXPECT_EQ(s.at("WARP"), 32);
  EXPECT_EQ(s.size(), 3u + builtin_names().size());
}

TEST_F(SpaceTest, CompileDefinesListParamsDefinesAndDtype) {
  const Candidate c{"fused", 0, "warp", {{"VEC", 2}, {"WARPS", 4}}, false};
  const auto defines = compile_defines(config_, c, shape(64, 300, DType::f16), DeviceLimits{});
  const std::vector<std::pair<std::string, std::string>> expected{
      {"VEC", "2"}, {"WARPS", "4"}, {"COLS", "5"} /* ceil(300 / 64) */, {"KPG_DTYPE_F16", "1"}};
  EXPECT_EQ(defines, expected);
  const Candidate b{"fused", 1, "block", {{"THREADS", 256}}, true};
  EXPECT_EQ(compile_defines(config_, b, shape(64, 300, DType::bf16), DeviceLimits{}).back(),
            (std::pair<std::string, std::string>{"KPG_DTYPE_BF16", "1"}));
  EXPECT_EQ(compile_defines(config_, b, shape(64, 300), DeviceLimits{}).back().first, "KPG_DTYPE_F32");
  const Candidate stray{"nope", 0, "warp", {}, false};
  EXPECT_THROW(compile_defines(config_, stray, shape(64, 300), DeviceLimits{}), Error);
}

TEST_F(SpaceTest, CandidateIdsAreStableAndSorted) {
  const Candidate c{"v", 0, "s", {{"B", 2}, {"A", 1}}, false};
  EXPECT_EQ(c.id(), "s:A=1,B=2");
}

TEST_F(SpaceTest, ACandidateIdSplitsIntoItsSpaceAndParams) {
  const auto c = enumerate(config_, fused(), shape(64, 300), DeviceLimits{}, nullptr);
  ASSERT_EQ(c.size(), 12u);
  for (const Candidate& cand : {c[0], c[11]}) {  // one candidate of each space
    const std::string id = cand.id();
    EXPECT_EQ(space_of_candidate_id(id), cand.space_name) << id;
    EXPECT_EQ(std::string(space_of_candidate_id(id)) + ":" + std::string(params_of_candidate_id(id)), id);
  }
  EXPECT_EQ(params_of_candidate_id(c[0].id()), "VEC=2,WARPS=1");
  const auto paramless = enumerate(config_, *config_.find_variant("unfused"), shape(64, 300), DeviceLimits{}, nullptr);
  ASSERT_EQ(paramless.size(), 1u);
  EXPECT_EQ(space_of_candidate_id(paramless[0].id()), paramless[0].space_name);
  EXPECT_EQ(params_of_candidate_id(paramless[0].id()), "");
  EXPECT_EQ(space_of_candidate_id(""), "");
}

}  // namespace
}  // namespace kpg
