// A tune's decisions without a GPU, on recorded timings: run_tune() drives the plan, a fake
// compile and a fake measure (times from a table, as Kernel Tuner's simulation mode replays
// a recorded cache) and a real tuning cache. What is timed, in which order, what is
// recorded and kept, how ties, faults and --no-tune end, and what is chosen.

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "runtime/error.hpp"
#include "tests/tuner/tuner_test_support.hpp"
#include "tuner/tune_pipeline.hpp"

namespace kpg {
namespace {

// What the GPU would have said: a median per candidate (absent: a wrong result).
class RecordedTimings final : public CandidateMeasure {
 public:
  std::map<std::string, double> ms;
  std::map<std::string, double> second_ms;  // what a re-measurement gives
  std::string faulting, unlaunchable;
  double spread_pct = 1.0;
  std::vector<std::string> measured, remeasured;
  int prepared = 0, prepared_retime = 0;

  void prepare_measure() override { ++prepared; }
  TuneRecord measure(const Candidate& c, const CompiledKernel&) override {
    measured.push_back(c.id());
    if (c.id() == faulting) throw CudaError(CUDA_ERROR_ILLEGAL_ADDRESS, "cuStreamSynchronize", "illegal address");
    if (c.id() == unlaunchable) throw Error("kernel k_warp not found");
    const auto it = ms.find(c.id());
    if (it == ms.end()) return failure_record(c, "wrong result: y: 1 of 100 elements off");
    return timed_record(c, timing(it->second));
  }
  void prepare_retime() override { ++prepared_retime; }
  Timing retime(const Candidate& c) override {
    remeasured.push_back(c.id());
    return timing(second_ms.at(c.id()));
  }

 private:
  Timing timing(double median) const {
    Timing t;
    t.median_ms = median;
    t.min_ms = median * 0.99;
    t.spread_pct = spread_pct;
    t.reps = 10;
    return t;
  }
};

// The tiny config at M=64, N=300: fused has 12 live candidates (8 of space warp, 4 of
// block), its default warp:VEC=4,WARPS=4.
class TunePipeline : public ::testing::Test {
 protected:
  TunePipeline()
      : config_(test::load_yaml(dir_, test::kTinyYaml)),
        cache_(dir_.path() / "cache"),
        shape_{{{"M", 64}, {"N", 300}}, DType::f32},
        key_{"tiny", "hash", "H100|sm_90|132", "1", "1", shape_key(config_, shape_), "fused"} {
    const TunePlan plan = make_plan();
    for (size_t i = 0; i < plan.candidates().size(); ++i)  // 1.0, 1.1, ... in grid order
      measure_.ms[plan.candidates()[i].id()] = 1.0 + 0.1 * static_cast<double>(i);
    options_.progress = false;
    options_.jobs = 2;
  }

  TunePlan make_plan() const { return TunePlan(config_, *config_.find_variant("fused"), shape_, DeviceLimits{}); }

  TuneResult tune() {
    const TunePlan plan = make_plan();
    TuneLog log(
        cache_, key_, plan.live_ids(),
        [&](const TuneEvent& e) {
          events_.push_back((e.kind == TuneEvent::Kind::start ? "start " : "result ") + e.record.candidate_id);
        },
        [&](const TuneRecord& r) { kept_.push_back(r.candidate_id); });
    const TuneStages stages{[&](const Candidate& c) {
                              CompileOutcome out;
                              if (c.id() == broken_) out.error = "compile error: tiny.cu(2): error: expected a ;";
                              else out.kernel = CompiledKernel{};
                              return out;
                            },
                            measure_};
    return run_tune(plan, log, stages, options_);
  }

  std::map<std::string, TuneRecord> cached() const {
    std::map<std::string, TuneRecord> out;
    for (auto& r : cache_.load(key_)) out[r.candidate_id] = r;
    return out;
  }

  test::TempDir dir_;
  OpConfig config_;
  TuningCache cache_;
  Shape shape_;
  CacheKey key_;
  RecordedTimings measure_;
  TuneOptions options_;
  std::string broken_;
  std::vector<std::string> events_, kept_;
};

TEST_F(TunePipeline, TimesEveryCandidateInGridOrderRecordsEachAndChoosesTheFastest) {
  measure_.ms["block:THREADS=256"] = 0.5;
  const TuneResult r = tune();
  std::vector<std::string> grid;
  const TunePlan plan = make_plan();
  for (const auto& c : plan.candidates()) grid.push_back(c.id());
  EXPECT_EQ(measure_.measured, grid);
  EXPECT_EQ(measure_.prepared, 1);
  EXPECT_EQ(r.candidates, 12u);
  EXPECT_EQ(r.pruned.total, 17u);
  EXPECT_EQ(r.timed, 12u);
  EXPECT_EQ(r.compiled, 12u);
  EXPECT_EQ(r.failed, 0u);
  EXPECT_EQ(r.source, ChoiceSource::tuned_now);
  EXPECT_EQ(r.chosen.id(), "block:THREADS=256");
  ASSERT_TRUE(r.best);
  EXPECT_DOUBLE_EQ(r.best->median_ms, 0.5);
  ASSERT_TRUE(r.default_record);
  EXPECT_EQ(r.default_record->candidate_id, "warp:VEC=4,WARPS=4");
  EXPECT_EQ(cached().size(), 12u) << "every result is in the cache";
  EXPECT_EQ(r.records.size(), 12u);
  EXPECT_EQ(events_.front(), "start " + grid.front());
  EXPECT_EQ(events_[1], "result " + grid.front());
  EXPECT_EQ(measure_.remeasured, std::vector<std::string>{}) << "0.5 against 1.0 is no tie";
}

TEST_F(TunePipeline, ASecondTuneTimesNothingAndChoosesFromTheCache) {
  tune();
  measure_.measured.clear();
  const TuneResult again = tune();
  EXPECT_TRUE(measure_.measured.empty());
  EXPECT_EQ(measure_.prepared, 1) << "the workload is not prepared when nothing runs";
  EXPECT_EQ(again.source, ChoiceSource::cache);
  EXPECT_EQ(again.chosen.id(), make_plan().candidates().front().id());
  EXPECT_EQ(again.timed, 0u);
}

TEST_F(TunePipeline, AGridValueAddedTimesOnlyItsCandidates) {
  tune();
  config_ = test::load_yaml(dir_, test::replaced(test::kTinyYaml, "VEC: [1, 2, 4]", "VEC: [1, 2, 4, 8]"));
  measure_.ms["warp:VEC=8,WARPS=2"] = 0.25;
  measure_.measured.clear();
  const TuneResult r = tune();
  EXPECT_EQ(measure_.measured,
            (std::vector<std::string>{"warp:VEC=8,WARPS=1", "warp:VEC=8,WARPS=2", "warp:VEC=8,WARPS=4",
                                      "warp:VEC=8,WARPS=8"}));
  EXPECT_EQ(r.chosen.id(), "warp:VEC=8,WARPS=2");
  EXPECT_EQ(r.records.size(), 16u);
}

TEST_F(TunePipeline, ForceAndRetimeBeforeTimeRecordedCandidatesAgain) {
  tune();
  measure_.measured.clear();
  options_.retime_before = "2000-01-01T00:00:00Z";  // every record is newer
  tune();
  EXPECT_TRUE(measure_.measured.empty());
  options_.retime_before = "9999-01-01T00:00:00Z";
  tune();
  EXPECT_EQ(measure_.measured.size(), 12u);
  measure_.measured.clear();
  options_.retime_before.clear();
  options_.force = true;
  tune();
  EXPECT_EQ(measure_.measured.size(), 12u);
}

TEST_F(TunePipeline, FailuresAreRecordedKeptAndSkippedByTheNextTune) {
  broken_ = "warp:VEC=2,WARPS=1";
  measure_.ms.erase("warp:VEC=2,WARPS=2");  // wrong result
  measure_.unlaunchable = "block:THREADS=128";
  const TuneResult r = tune();
  EXPECT_EQ(r.failed, 3u);
  EXPECT_EQ(r.timed, 9u);
  EXPECT_EQ(r.compiled, 11u);
  const auto records = cached();
  EXPECT_EQ(records.at("warp:VEC=2,WARPS=1").failure, "compile error: tiny.cu(2): error: expected a ;");
  EXPECT_EQ(records.at("warp:VEC=2,WARPS=2").failure.rfind("wrong result: ", 0), 0u);
  EXPECT_EQ(records.at("block:THREADS=128").failure, "launch error: kernel k_warp not found");
  EXPECT_EQ(kept_, (std::vector<std::string>{"warp:VEC=2,WARPS=1", "warp:VEC=2,WARPS=2", "block:THREADS=128"}));
  EXPECT_EQ(std::count(measure_.measured.begin(), measure_.measured.end(), broken_), 0) << "nothing to measure";
  EXPECT_EQ(std::count(events_.begin(), events_.end(), "start " + broken_), 0);
  EXPECT_EQ(std::count(events_.begin(), events_.end(), "result " + broken_), 1);
  EXPECT_EQ(r.chosen.id(), "warp:VEC=2,WARPS=4") << "the fastest that passed";

  measure_.measured.clear();
  tune();
  EXPECT_TRUE(measure_.measured.empty()) << "a failure is a record too";
}

TEST_F(TunePipeline, AFaultIsRecordedThenStopsTheTune) {
  measure_.faulting = "warp:VEC=2,WARPS=4";
  EXPECT_THROW(tune(), CandidateFault);
  const auto records = cached();
  EXPECT_EQ(records.size(), 3u) << "the results before it, and its own";
  EXPECT_EQ(records.at(measure_.faulting).failure.rfind("fault: ", 0), 0u) << records.at(measure_.faulting).failure;
  EXPECT_FALSE(records.at(measure_.faulting).ok);

  measure_.faulting.clear();
  measure_.measured.clear();
  tune();
  EXPECT_EQ(measure_.measured.size(), 9u) << "a rerun skips the faulting candidate and those done";
}

TEST_F(TunePipeline, AWinnerWithinNoiseOfTheRunnerUpIsMeasuredAgain) {
  measure_.ms["block:THREADS=256"] = 0.5;
  measure_.ms["block:THREADS=512"] = 0.502;  // within the 1 % spread
  measure_.second_ms = {{"block:THREADS=256", 0.52}, {"block:THREADS=512", 0.51}};
  const TuneResult r = tune();
  EXPECT_EQ(measure_.remeasured, (std::vector<std::string>{"block:THREADS=256", "block:THREADS=512"}));
  EXPECT_EQ(measure_.prepared_retime, 1);
  EXPECT_EQ(r.chosen.id(), "block:THREADS=512") << "the second measurement decides";
  EXPECT_DOUBLE_EQ(cached().at("block:THREADS=256").median_ms, 0.52) << "the re-measurement is recorded";
  EXPECT_EQ(r.timed, 12u) << "a re-measurement is not a new candidate";
  EXPECT_EQ(std::count_if(events_.begin(), events_.end(), [](const std::string& e) { return e.rfind("result ", 0) == 0; }),
            12);

  measure_.remeasured.clear();
  tune();  // from the cache: nothing timed now, nothing re-measured
  EXPECT_TRUE(measure_.remeasured.empty());
  options_.force = true;
  options_.rematch_ties = false;
  measure_.ms["block:THREADS=512"] = 0.501;
  tune();
  EXPECT_TRUE(measure_.remeasured.empty());
}

TEST_F(TunePipeline, ABudgetTimesThatManyStartingFromTheDefault) {
  options_.budget = 3;
  options_.seed = 7;
  const TuneResult r = tune();
  ASSERT_EQ(measure_.measured.size(), 3u);
  EXPECT_EQ(measure_.measured.front(), "warp:VEC=4,WARPS=4");
  EXPECT_EQ(r.timed, 3u);
  EXPECT_EQ(cached().size(), 3u);
  measure_.measured.clear();
  tune();
  EXPECT_EQ(measure_.measured.size(), 3u);
  EXPECT_EQ(cached().size(), 6u) << "the next budget goes to candidates not timed yet";
}

TEST_F(TunePipeline, EachShardTimesItsShare) {
  options_.shard_count = 2;
  options_.shard_index = 1;
  tune();
  std::vector<std::string> odd;
  const TunePlan plan = make_plan();
  for (size_t i = 1; i < plan.candidates().size(); i += 2) odd.push_back(plan.candidates()[i].id());
  EXPECT_EQ(measure_.measured, odd);
}

TEST_F(TunePipeline, TimedElsewhereReportsTheWorkersRecordsAsTunedNow) {
  tune();
  measure_.measured.clear();
  options_.timed_elsewhere = true;
  const TuneResult r = tune();
  EXPECT_TRUE(measure_.measured.empty());
  EXPECT_EQ(r.source, ChoiceSource::tuned_now);
}

TEST_F(TunePipeline, NoTuneTakesTheNearestTunedShapeElseTheDefault) {
  options_.no_tune = true;
  const TuneResult untuned = tune();
  EXPECT_TRUE(measure_.measured.empty());
  EXPECT_EQ(untuned.source, ChoiceSource::config_default);
  EXPECT_EQ(untuned.chosen.id(), "warp:VEC=4,WARPS=4");
  EXPECT_FALSE(untuned.default_record);

  CacheKey other = key_;
  other.shape_key = "M<=256,N=300,dtype=f32";
  Timing t;
  t.median_ms = 0.3;
  const TunePlan plan = make_plan();
  const Candidate* block = plan.find("block:THREADS=512");
  ASSERT_NE(block, nullptr);
  cache_.append(other, timed_record(*block, t));
  const TuneResult near = tune();
  EXPECT_EQ(near.source, ChoiceSource::nearest_shape);
  EXPECT_EQ(near.source_detail, other.shape_key);
  EXPECT_EQ(near.chosen.id(), "block:THREADS=512");
}

// The record stage alone: only live candidates' records are loaded; a result goes to the
// cache, a failure is also kept, each is reported; a re-measurement is recorded, not counted.
TEST(TuneLog, LoadsLiveRecordsAndWritesEachResultAtOnce) {
  test::TempDir dir;
  TuningCache cache(dir.path());
  const CacheKey key{"tiny", "hash", "H100|sm_90|132", "1", "1", "M<=64,N=300,dtype=f32", "fused"};
  const Candidate a{"fused", 0, "warp", {{"VEC", 2}}, false}, b{"fused", 0, "warp", {{"VEC", 4}}, true},
      gone{"fused", 0, "warp", {{"VEC", 16}}, false};
  Timing t;
  t.median_ms = 2.0;
  t.spread_pct = 1;
  cache.append(key, {timed_record(a, t), timed_record(gone, t)});
  std::vector<std::string> events, kept;
  TuneLog log(
      cache, key, {a.id(), b.id()},
      [&](const TuneEvent& e) { events.push_back((e.kind == TuneEvent::Kind::start ? "start " : "result ") + e.record.candidate_id); },
      [&](const TuneRecord& r) { kept.push_back(r.candidate_id); });
  EXPECT_EQ(log.known().size(), 1u) << "the record of a value gone from the grid stays aside";
  log.starting(b);
  log.record(failure_record(b, "wrong result: y: 1 of 4 elements off"));
  EXPECT_EQ(kept, std::vector<std::string>{b.id()});
  EXPECT_EQ(events, (std::vector<std::string>{"start " + b.id(), "result " + b.id()}));
  EXPECT_EQ(log.failed(), 1u);
  EXPECT_EQ(TuningCache(dir.path()).load(key).size(), 3u) << "in the cache at once";
  t.median_ms = 1.5;
  log.remeasured(timed_record(a, t));
  EXPECT_EQ(log.timed(), 0u);
  EXPECT_EQ(events.size(), 2u);
  ASSERT_TRUE(log.select().best);
  EXPECT_DOUBLE_EQ(log.select().best->median_ms, 1.5);
  EXPECT_EQ(log.records().size(), 2u);
}

TEST(TunePlan, TimesWhatHasNoRecordInItsShard) {
  test::TempDir dir;
  const OpConfig config = test::load_yaml(dir, test::kTinyYaml);
  const TunePlan plan(config, *config.find_variant("fused"), Shape{{{"M", 64}, {"N", 300}}, DType::f32}, DeviceLimits{});
  ASSERT_EQ(plan.candidates().size(), 12u);
  EXPECT_EQ(plan.live_ids().size(), 12u);
  EXPECT_EQ(plan.find("block:THREADS=2048"), nullptr) << "pruned";
  ASSERT_NE(plan.find("block:THREADS=1024"), nullptr);
  std::map<std::string, TuneRecord> known;
  known["warp:VEC=2,WARPS=1"].timestamp = "2026-01-01T00:00:00Z";
  TuneOptions options;
  EXPECT_EQ(plan.to_time(known, options).size(), 11u);
  EXPECT_EQ(plan.to_time(known, options).front(), 1u);
  options.retime_before = "2026-06-01T00:00:00Z";
  EXPECT_EQ(plan.to_time(known, options).size(), 12u);
  options.shard_count = 3;
  options.shard_index = 2;
  EXPECT_EQ(plan.to_time(known, options), (std::vector<size_t>{2, 5, 8, 11}));
}

// The default from the enumerated candidates (the tuner) and the one found by checking each
// space's default alone (everyone else) agree on every shipped config, shape and card kind,
// also where a space's default is pruned (attention's sm_90a spaces on an sm_80 card).
TEST(TunePlan, DefaultAgreesWithDefaultCandidateOnEveryShippedConfig) {
  const std::filesystem::path configs(KPG_TEST_CONFIGS_DIR);
  size_t compared = 0;
  for (const char* op : {"softmax", "layernorm", "rmsnorm", "attention"}) {
    const OpConfig config = load_config(configs / (std::string(op) + ".yaml"), KPG_TEST_KERNELS_DIR);
    for (const int cc : {0, 80, 90}) {
      DeviceLimits limits;
      limits.compute_capability = cc;
      for (const auto& variant : config.variants)
        for (const auto& shape : config.shapes) {
          const TunePlan plan(config, variant, shape, limits);
          const auto from_plan = plan.default_candidate();
          const auto alone = default_candidate(config, variant, shape, limits);
          ASSERT_EQ(from_plan.has_value(), alone.has_value()) << op << " " << variant.name << " " << shape.to_string();
          if (!from_plan) continue;
          EXPECT_EQ(from_plan->id(), alone->id()) << op << " " << variant.name << " " << shape.to_string() << " cc " << cc;
          ++compared;
        }
    }
  }
  EXPECT_GT(compared, 100u);
}

}  // namespace
}  // namespace kpg
