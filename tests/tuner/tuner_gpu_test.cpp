// GPU tests of the tuner on an op whose candidates are slowed by known amounts and some
// of which compute a wrong answer (tests/data/slowed.yaml).

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <optional>

#include "tests/gpu_test_env.hpp"
#include "tests/tuner_gpu_session.hpp"
#include "tuner/config.hpp"

namespace kpg {
namespace {

namespace fs = std::filesystem;

class TunerGpu : public ::testing::Test {
 protected:
  void SetUp() override {
    KPG_SKIP_WITHOUT_GPU();
    session_.emplace(data_dir());
    config_ = load_config(data_dir() / "slowed.yaml", data_dir());
  }

  static fs::path data_dir() { return fs::path(KPG_TEST_SOURCE_DIR) / "data"; }

  TuneResult tune(const OpConfig& config) {
    Workload workload(config, config.shapes.front(), session_->gpu.limits());
    workload.randomize(0);
    session_->tuner.ensure_reference(config, workload);
    TuneOptions options;
    options.progress = false;
    return session_->tuner.tune(config, *config.find_variant("tuned"), workload, options);
  }

  std::optional<testing::TunerSession> session_;
  OpConfig config_;
};

const TuneRecord& record_of(const TuneResult& r, int64_t delay, int64_t wrong) {
  for (const auto& rec : r.records)
    if (rec.params.at("DELAY_US") == delay && rec.params.at("WRONG") == wrong) return rec;
  throw std::runtime_error("no record for DELAY_US=" + std::to_string(delay));
}

TEST_F(TunerGpu, PicksTheTrulyFastestAndNeverAWrongCandidate) {
  const TuneResult r = tune(config_);
  ASSERT_EQ(r.records.size(), 8u);
  ASSERT_TRUE(r.best.has_value());
  EXPECT_EQ(r.best->params.at("DELAY_US"), 0);
  EXPECT_EQ(r.best->params.at("WRONG"), 0);
  EXPECT_EQ(r.source, ChoiceSource::tuned_now);
  for (int64_t delay : {0, 20, 40, 80}) {
    const auto& wrong = record_of(r, delay, 1);
    EXPECT_FALSE(wrong.ok);
    EXPECT_NE(wrong.failure.find("wrong result"), std::string::npos) << wrong.failure;
  }
  // The known delays order the correct candidates, each at least its delay long.
  for (int64_t delay : {20, 40, 80}) {
    const auto& slow = record_of(r, delay, 0);
    ASSERT_TRUE(slow.ok) << slow.failure;
    EXPECT_GE(slow.median_ms, delay / 1000.0);
    EXPECT_GT(slow.median_ms, record_of(r, 0, 0).median_ms);
  }
  EXPECT_GT(record_of(r, 80, 0).median_ms, record_of(r, 40, 0).median_ms);
}

TEST_F(TunerGpu, SecondRunTimesNothingAndAddedValueTimesOnlyNewCandidates) {
  tune(config_);
  const TuneResult again = tune(config_);
  EXPECT_EQ(again.timed + again.failed, 0u);
  EXPECT_EQ(again.source, ChoiceSource::cache);
  ASSERT_TRUE(again.best.has_value());
  EXPECT_EQ(again.best->params.at("DELAY_US"), 0);

  OpConfig grown = config_;
  auto& params = grown.variants.at(1).spaces.at(0).params;
  ASSERT_EQ(params.at(0).first, "DELAY_US");
  params.at(0).second.push_back(10);
  const TuneResult grown_run = tune(grown);
  EXPECT_EQ(grown_run.timed + grown_run.failed, 2u);  // DELAY_US=10 with WRONG 0 and 1
  EXPECT_EQ(grown_run.records.size(), 10u);
}

// As `kpg tune` after its worker processes: records already in the cache, timed_elsewhere,
// and the workload's inputs and reference left to `prepare`, which runs only for a tie.
TEST_F(TunerGpu, AfterWorkersTheWorkloadIsFilledOnlyToReMeasureATie) {
  const VariantSpec& tuned = *config_.find_variant("tuned");
  const Shape& shape = config_.shapes.front();
  const CacheKey key = session_->tuner.cache_key(config_, tuned, shape);
  const auto candidates = enumerate(config_, tuned, shape, session_->gpu.limits(), nullptr);
  const auto record = [&](int64_t delay, double median_ms) {
    const auto c = std::find_if(candidates.begin(), candidates.end(), [&](const Candidate& c) {
      return c.params.at("DELAY_US") == delay && c.params.at("WRONG") == 0;
    });
    ASSERT_NE(c, candidates.end());
    TuneRecord r;
    r.params = c->params;
    r.candidate_id = c->id();
    r.variant = "tuned";
    r.ok = true;
    r.median_ms = r.min_ms = median_ms;
    r.spread_pct = 1;
    r.timestamp = utc_timestamp();
    session_->records.append(key, r);
  };
  record(0, 0.1);
  record(20, 0.5);  // far apart: nothing to re-measure
  int prepared = 0;
  TuneOptions options;
  options.progress = false;
  options.timed_elsewhere = true;
  options.prepare = [&](Workload& w) {
    ++prepared;
    w.randomize(0);
    session_->tuner.ensure_reference(config_, w);
  };
  Workload workload(config_, shape, session_->gpu.limits());
  EXPECT_TRUE(session_->tuner.tune(config_, tuned, workload, options).best.has_value());
  EXPECT_EQ(prepared, 0);

  record(20, 0.1005);  // within the 1 % spread of DELAY_US=0: a tie, measured again
  EXPECT_TRUE(session_->tuner.tune(config_, tuned, workload, options).best.has_value());
  EXPECT_EQ(prepared, 1);
}

}  // namespace
}  // namespace kpg
