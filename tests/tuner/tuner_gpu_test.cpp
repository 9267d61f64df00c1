// GPU tests of the tuner on an op whose candidates are slowed by known amounts and some
// of which compute a wrong answer (tests/data/slowed.yaml).

#include <gtest/gtest.h>

#include <filesystem>

#include "runtime/cubin_cache.hpp"
#include "tests/gpu_test_env.hpp"
#include "tuner/config.hpp"
#include "tuner/gpu.hpp"
#include "tuner/tuner.hpp"
#include "tuner/tuning_cache.hpp"

namespace kpg {
namespace {

namespace fs = std::filesystem;

class TunerGpu : public ::testing::Test {
 protected:
  void SetUp() override {
    KPG_SKIP_WITHOUT_GPU();
    cache_dir_ = fs::temp_directory_path() / ("kpg-tuner-gpu-" + std::to_string(::getpid()));
    fs::remove_all(cache_dir_);
    gpu_ = std::make_unique<Gpu>(0);
    cubins_ = std::make_unique<CubinCache>(cache_dir_);
    compiler_ = std::make_unique<Compiler>(cubins_.get());
    records_ = std::make_unique<TuningCache>(cache_dir_);
    tuner_ = std::make_unique<Tuner>(*gpu_, *compiler_, *records_, data_dir());
    config_ = load_config(data_dir() / "slowed.yaml", data_dir());
  }
  void TearDown() override { fs::remove_all(cache_dir_); }

  static fs::path data_dir() { return fs::path(KPG_TEST_SOURCE_DIR) / "data"; }

  TuneResult tune(const OpConfig& config) {
    Workload workload(config, config.shapes.front(), gpu_->limits());
    workload.randomize(0);
    tuner_->ensure_reference(config, workload);
    TuneOptions options;
    options.progress = false;
    return tuner_->tune(config, *config.find_variant("tuned"), workload, options);
  }

  fs::path cache_dir_;
  std::unique_ptr<Gpu> gpu_;
  std::unique_ptr<CubinCache> cubins_;
  std::unique_ptr<Compiler> compiler_;
  std::unique_ptr<TuningCache> records_;
  std::unique_ptr<Tuner> tuner_;
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

}  // namespace
}  // namespace kpg
