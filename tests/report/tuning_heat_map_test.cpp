// tuning_heat_map: recorded timings (no GPU) -> the heat map `kpg tune --html` draws.

#include <gtest/gtest.h>

#include "report/tuning_heat_map.hpp"

namespace kpg {
namespace {

VariantSpec two_param_variant() {
  VariantSpec v;
  v.name = "fused";
  SpaceSpec s;
  s.name = "grid";
  s.params = {{"THREADS", {128, 256, 512}}, {"UNROLL", {1, 2}}, {"STREAM", {0, 1}}};
  v.spaces.push_back(s);
  SpaceSpec other;
  other.name = "other";
  other.params = {{"THREADS", {128}}, {"UNROLL", {1}}};
  v.spaces.push_back(other);
  return v;
}

TuneRecord record(const std::string& id, ParamSet params, bool ok, double ms) {
  TuneRecord r;
  r.candidate_id = id;
  r.params = std::move(params);
  r.variant = "fused";
  r.ok = ok;
  r.median_ms = ms;
  return r;
}

TuneResult result_with(std::vector<TuneRecord> records) {
  TuneResult r;
  r.op = "bias_gelu";
  r.variant = "fused";
  r.shape = Shape{{{"M", 8}, {"N", 16}}, DType::f16};
  r.records = std::move(records);
  return r;
}

TEST(TuningHeatMap, BestOverOtherParamsPerCellAndGapsWhereNothingSucceeded) {
  const auto map = report::tuning_heat_map(
      two_param_variant(),
      result_with({record("grid:STREAM=0,THREADS=128,UNROLL=1", {{"THREADS", 128}, {"UNROLL", 1}, {"STREAM", 0}}, true, 3.0),
                   record("grid:STREAM=1,THREADS=128,UNROLL=1", {{"THREADS", 128}, {"UNROLL", 1}, {"STREAM", 1}}, true, 2.0),
                   record("grid:STREAM=0,THREADS=512,UNROLL=2", {{"THREADS", 512}, {"UNROLL", 2}, {"STREAM", 0}}, true, 1.5),
                   record("grid:STREAM=0,THREADS=256,UNROLL=2", {{"THREADS", 256}, {"UNROLL", 2}, {"STREAM", 0}}, false, 0.1),
                   // Same param values, another space: not part of the first space's landscape.
                   record("other:THREADS=128,UNROLL=1", {{"THREADS", 128}, {"UNROLL", 1}}, true, 0.5)}));
  ASSERT_TRUE(map.has_value());
  EXPECT_EQ(map->x_label, "THREADS");
  EXPECT_EQ(map->y_label, "UNROLL");
  EXPECT_EQ(map->x_values, (std::vector<std::string>{"128", "256", "512"}));
  EXPECT_EQ(map->y_values, (std::vector<std::string>{"1", "2"}));
  ASSERT_EQ(map->cells.size(), 2u);
  EXPECT_EQ(map->cells[0][0], 2.0) << "the best of STREAM=0 and STREAM=1";
  EXPECT_FALSE(map->cells[0][1].has_value());
  EXPECT_FALSE(map->cells[1][1].has_value()) << "a failed candidate leaves a gap";
  EXPECT_EQ(map->cells[1][2], 1.5);
  EXPECT_NE(map->title.find("M=8,N=16,dtype=f16"), std::string::npos) << map->title;
}

TEST(TuningHeatMap, NoneForOneParamOrNoSuccess) {
  VariantSpec one = two_param_variant();
  one.spaces.front().params.resize(1);
  EXPECT_FALSE(report::tuning_heat_map(one, result_with({record("grid:THREADS=128", {{"THREADS", 128}}, true, 1.0)})));
  EXPECT_FALSE(report::tuning_heat_map(two_param_variant(), result_with({})));
}

}  // namespace
}  // namespace kpg
