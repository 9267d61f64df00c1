// Which configuration the library launches (lib/config_choice.hpp): the tuning cache's best
// for the card and shape, else the nearest tuned shape's, else the default; read-only.

#include <gtest/gtest.h>

#include "lib/config_choice.hpp"
#include "runtime/error.hpp"
#include "tests/library/library_test_support.hpp"

namespace kpg::testing {
namespace {

constexpr const char* kCard = "Test Card|sm_90|132";

class ConfigChoice : public ::testing::Test {
 protected:
  ConfigChoice()
      : config_(load_config(write_rows_op(dir_.path()) / "rows.yaml", dir_.path() / "kernels")),
        variant_(*config_.find_variant("fused")),
        cache_(dir_.path() / "cache") {}

  Shape shape(int64_t m, int64_t n, int64_t shift = 0) const {
    return Shape{{{"M", m}, {"N", n}, {"SHIFT", shift}}, DType::f32};
  }
  CacheKey key_at(const Shape& s, const std::string& card = kCard) const {
    return rows_key(config_, card, shape_key(config_, s));
  }
  std::optional<ConfigPick> choose(const Shape& s, const std::string& card = kCard) const {
    return choose_config(config_, variant_, s, DeviceLimits{}, cache_, key_at(s, card));
  }

  TempDir dir_;
  OpConfig config_;
  const VariantSpec& variant_;
  TuningCache cache_;
};

TEST_F(ConfigChoice, WithoutRecordsTheDefaultOfTheFirstSpaceThatAdmitsTheShape) {
  const auto pick = choose(shape(100, 300));
  ASSERT_TRUE(pick);
  EXPECT_EQ(pick->source, ChoiceSource::config_default);
  EXPECT_EQ(pick->candidate.id(), "warp:WARPS=4");
  // N = 2000 breaks warp's constraint: split's default.
  EXPECT_EQ(choose(shape(100, 2000))->candidate.id(), "split:PARTS=2");
}

TEST_F(ConfigChoice, TheBestRecordOfThisCardAndShape) {
  cache_.append(key_at(shape(100, 300)), {timed_record("warp:WARPS=1", 2.0, "2026-01-01T00:00:00Z"),
                                          timed_record("split:PARTS=4", 1.0, "2026-01-01T00:00:00Z"),
                                          timed_record("warp:WARPS=8", 1.5, "2026-01-01T00:00:00Z")});
  const auto pick = choose(shape(100, 300));
  EXPECT_EQ(pick->source, ChoiceSource::cache);
  EXPECT_EQ(pick->candidate.id(), "split:PARTS=4");
  EXPECT_EQ(pick->candidate.params, (ParamSet{{"PARTS", 4}}));
  // The pow2 bucket of M: 80 shares 100's records (both M<=128).
  EXPECT_EQ(choose(shape(80, 300))->source, ChoiceSource::cache);
}

TEST_F(ConfigChoice, ANearestTunedShapeLendsItsBestWhenThisShapeHasNone) {
  cache_.append(key_at(shape(4096, 300, 1)), timed_record("warp:WARPS=2", 1.0, "2026-01-01T00:00:00Z"));
  cache_.append(key_at(shape(64, 1000, 1)), timed_record("warp:WARPS=8", 1.0, "2026-01-01T00:00:00Z"));
  const auto pick = choose(shape(2000, 310, 1));
  EXPECT_EQ(pick->source, ChoiceSource::nearest_shape);
  EXPECT_EQ(pick->candidate.id(), "warp:WARPS=2");
  EXPECT_EQ(pick->detail, "M<=4096,N=300,SHIFT=1,dtype=f32");
}

TEST_F(ConfigChoice, RecordsOfAnotherCardOrOfCandidatesInvalidHereAreNotUsed) {
  cache_.append(key_at(shape(100, 300), "Other Card|sm_80|108"),
                timed_record("warp:WARPS=1", 1.0, "2026-01-01T00:00:00Z"));
  EXPECT_EQ(choose(shape(100, 300))->source, ChoiceSource::config_default);
  // At N = 2000 warp is invalid: its record there does not compete.
  cache_.append(key_at(shape(100, 2000)), {timed_record("warp:WARPS=1", 0.5, "2026-01-01T00:00:00Z"),
                                           timed_record("split:PARTS=4", 1.0, "2026-01-01T00:00:00Z")});
  EXPECT_EQ(choose(shape(100, 2000))->candidate.id(), "split:PARTS=4");
}

TEST_F(ConfigChoice, ChoosingWritesNothing) {
  cache_.append(key_at(shape(4096, 300)), timed_record("warp:WARPS=2", 1.0, "2026-01-01T00:00:00Z"));
  cache_.append(key_at(shape(100, 300)), timed_record("warp:WARPS=8", 1.0, "2026-01-01T00:00:00Z"));
  const auto before = files_under(dir_.path());
  for (int64_t n : {300, 310, 2000}) ASSERT_TRUE(choose(shape(100, n)));
  EXPECT_EQ(files_under(dir_.path()), before);
}

TEST_F(ConfigChoice, ACandidateByIdTakesTheSpaceDefaultsForParamsNotGiven) {
  const Shape s = shape(100, 300);
  EXPECT_EQ(candidate_from_id(config_, variant_, "warp:WARPS=8", s, DeviceLimits{}).id(), "warp:WARPS=8");
  EXPECT_EQ(candidate_from_id(config_, variant_, "warp", s, DeviceLimits{}).id(), "warp:WARPS=4");
  const Candidate c = candidate_from_id(config_, variant_, "split", s, DeviceLimits{});
  EXPECT_EQ(c.space_index, 1u);
  EXPECT_TRUE(c.is_default);
}

TEST_F(ConfigChoice, ABadIdSaysWhatIsWrong) {
  const Shape s = shape(100, 300);
  const auto message = [&](const std::string& id) {
    try {
      candidate_from_id(config_, variant_, id, s, DeviceLimits{});
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message("ring:X=1").find("no space 'ring' (spaces: warp, split)"), std::string::npos);
  EXPECT_NE(message("warp:THREADS=1").find("has no param THREADS"), std::string::npos);
  EXPECT_NE(message("warp:WARPS=x").find("expected NAME=INTEGER"), std::string::npos);
  EXPECT_NE(message("warp:WARPS=8,").find("expected NAME=INTEGER, got ''"), std::string::npos);
  EXPECT_NE(message("warp:WARPS=4,WARPS=8").find("param WARPS is given twice"), std::string::npos);
  EXPECT_NE(message("warp:WARPS=3").find("is not valid at"), std::string::npos);  // not in the grid
  EXPECT_NE(candidate_from_id(config_, variant_, "warp", shape(100, 300), DeviceLimits{}).id(), "");
  try {
    candidate_from_id(config_, variant_, "warp", shape(100, 2000), DeviceLimits{});
    ADD_FAILURE() << "warp is not valid at N = 2000";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("M=100,N=2000,SHIFT=0,dtype=f32"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace kpg::testing
