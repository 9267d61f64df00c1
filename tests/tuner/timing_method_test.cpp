// The timer's arithmetic and schedule without a GPU: a repetition's charged sample, the
// statistics, the host hold and the warm-up / graph / repetition decisions, driven by a
// scripted runner.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "tuner/timing_method.hpp"

namespace kpg {
namespace {

RepTimes rep(double reference_ms, double launch_ms, double flush_ms, double enqueue_us = 5, bool late = false) {
  RepTimes r;
  r.reference_ms = reference_ms;
  r.launch_ms = launch_ms;
  r.flush_ms = flush_ms;
  r.host_enqueue_us = enqueue_us;
  r.host_late = late;
  return r;
}

TEST(ChargedSample, IsTheLaunchPlusTheFlushsExcessOverTheReference) {
  EXPECT_NEAR(charged_ms(rep(0.030, 0.040, 0.045)), 0.055, 1e-12);
  EXPECT_FALSE(write_back_floored(rep(0.030, 0.040, 0.045)));
  EXPECT_DOUBLE_EQ(charged_ms(rep(0.030, 0.040, 0.030)), 0.040);
  EXPECT_FALSE(write_back_floored(rep(0.030, 0.040, 0.030)));
}

TEST(ChargedSample, ReadNoiseNeverMakesItShorterThanTheLaunchOrNonPositive) {
  // A 2 us kernel whose flush came out 3 us faster than the reference read: noise.
  const RepTimes noisy = rep(0.033, 0.002, 0.030);
  EXPECT_DOUBLE_EQ(charged_ms(noisy), 0.002);
  EXPECT_TRUE(write_back_floored(noisy));
  EXPECT_GT(charged_ms(rep(0.033, 1e-6, 0.001)), 0.0);
}

TEST(Summarize, MedianMinAndSpreadOfSamples) {
  const Timing odd = summarize({5, 1, 3, 2, 4});
  EXPECT_EQ(odd.reps, 5);
  EXPECT_DOUBLE_EQ(odd.median_ms, 3);
  EXPECT_DOUBLE_EQ(odd.min_ms, 1);
  // p10 = 1.4, p90 = 4.6 (linear between ranks): spread 3.2 / 3.
  EXPECT_NEAR(odd.spread_pct, 100.0 * 3.2 / 3, 1e-9);
  EXPECT_DOUBLE_EQ(summarize({4, 1, 3, 2}).median_ms, 2.5);
  const Timing none = summarize({});
  EXPECT_EQ(none.reps, 0);
  EXPECT_EQ(none.median_ms, 0);
}

TEST(SummarizeReps, ChargedStatisticsAndDiagnostics) {
  const std::vector<RepTimes> reps = {
      rep(0.030, 0.040, 0.036),              // write-back 6 us
      rep(0.031, 0.041, 0.036),              // 5 us
      rep(0.030, 0.039, 0.029, 5, true),     // -1 us: floored, and host-late
      rep(0.032, 0.040, 0.039),              // 7 us
      rep(0.030, 0.042, 0.034),              // 4 us
  };
  const Timing t = summarize_reps(reps);
  EXPECT_EQ(t.reps, 5);
  // Charged samples 46, 46, 39, 47, 46 us.
  EXPECT_NEAR(t.median_ms, 0.046, 1e-12);
  EXPECT_NEAR(t.min_ms, 0.039, 1e-12);
  EXPECT_NEAR(t.launch_median_ms, 0.040, 1e-12);
  EXPECT_NEAR(t.writeback_median_ms, 0.005, 1e-12);
  EXPECT_EQ(t.floored_reps, 1);
  EXPECT_EQ(t.host_late_reps, 1);
  EXPECT_FALSE(t.graph_replay);
}

TEST(SummarizeReps, WriteBackMedianKeepsItsSign) {
  const Timing t = summarize_reps({rep(0.030, 0.002, 0.029), rep(0.030, 0.002, 0.0295), rep(0.030, 0.002, 0.031)});
  EXPECT_NEAR(t.writeback_median_ms, -0.0005, 1e-12);
  EXPECT_EQ(t.floored_reps, 2);
  EXPECT_GE(t.min_ms, 0.002);
}

TEST(HoldFor, TheLeastHoldWhenTheReferenceReadGivesTheHostEnoughLead) {
  EXPECT_EQ(hold_for({}), kMinHoldUs);
  EXPECT_EQ(hold_for({rep(0.033, 0.01, 0.033, 500)}), kMinHoldUs);  // only the first repetition: not a guide
  // 2 x 5 us + 20 us margin = 30 us < 33 us of reference read.
  EXPECT_EQ(hold_for({rep(0.033, 0.01, 0.033, 500), rep(0.033, 0.01, 0.033, 5), rep(0.033, 0.01, 0.033, 5)}),
            kMinHoldUs);
}

TEST(HoldFor, TheRestOfTheLeadWhenTheHostIsSlow) {
  // p90 of 40 and 40 us: 2 x 40 + 20 = 100 us of lead, 33 given by the read: hold 67 us.
  const double hold = hold_for({rep(0.033, 0.01, 0.033, 900), rep(0.033, 0.01, 0.033, 40), rep(0.033, 0.01, 0.033, 40)});
  EXPECT_NEAR(hold, 67, 1e-9);
}

TEST(HoldFor, AtLeastTheWholeLeadAfterALateRepetition) {
  // Fast enqueue (lead 30 us < 33 us read) but a late repetition: hold the whole 30 us.
  const double hold =
      hold_for({rep(0.033, 0.01, 0.033, 5), rep(0.033, 0.01, 0.033, 5, true), rep(0.033, 0.01, 0.033, 5)});
  EXPECT_NEAR(hold, 30, 1e-9);
}

// Replays a scripted repetition (the same one each time, or a graph's once use_graph is
// called) and records what the schedule asked for.
class ScriptedRunner : public RepRunner {
 public:
  ScriptedRunner(RepTimes direct, RepTimes graphed) : direct_(direct), graphed_(graphed) {}
  RepTimes run_rep() override {
    calls.push_back(graph_ ? "graph rep" : "rep");
    holds.push_back(hold_);
    return graph_ ? graphed_ : direct_;
  }
  bool use_graph() override {
    calls.push_back("use graph");
    graph_ = capturable;
    return capturable;
  }
  void set_hold_us(double us) override {
    calls.push_back("hold");
    hold_ = us;
  }
  int count(const std::string& call) const { return static_cast<int>(std::count(calls.begin(), calls.end(), call)); }

  bool capturable = true;
  std::vector<std::string> calls;
  std::vector<double> holds;

 private:
  RepTimes direct_, graphed_;
  bool graph_ = false;
  double hold_ = 0;
};

TEST(TimeReps, LongLaunchWarmsUpForWarmupMsThenTimesRepMsWorth) {
  ScriptedRunner runner(rep(0.033, 1.0, 0.043), {});  // 1 ms launch, 10 us write-back
  TimingSettings s;
  s.warmup_ms = 10;
  s.rep_ms = 50;
  const Timing t = time_reps(runner, s);
  // Warm-up: until 10 ms of charged time (1.01 ms each) = 10 reps; then 50 / 1.01 = 49 reps.
  EXPECT_EQ(runner.count("rep"), 10 + 49);
  EXPECT_EQ(runner.count("use graph"), 0);
  EXPECT_EQ(t.reps, 49);
  EXPECT_NEAR(t.median_ms, 1.010, 1e-9);
  EXPECT_NEAR(t.launch_median_ms, 1.0, 1e-9);
  EXPECT_NEAR(t.writeback_median_ms, 0.010, 1e-9);
  EXPECT_FALSE(t.graph_replay);
  EXPECT_EQ(t.hold_us, kMinHoldUs);
}

TEST(TimeReps, ShortLaunchIsReplayedFromAGraphAndRepsAreCapped) {
  ScriptedRunner runner(rep(0.033, 0.004, 0.033), rep(0.033, 0.003, 0.034));
  TimingSettings s;
  s.graph_below_us = 10;
  s.max_reps = 300;
  const Timing t = time_reps(runner, s);
  EXPECT_TRUE(t.graph_replay);
  // Warm-up (200 reps at most: 4 us each never reach 10 ms), the graph, 3 replays, the hold, then the timed reps.
  EXPECT_EQ(runner.count("rep"), 200);
  ASSERT_EQ(runner.count("use graph"), 1);
  const auto graph_at = std::find(runner.calls.begin(), runner.calls.end(), "use graph") - runner.calls.begin();
  EXPECT_EQ(graph_at, 200);
  EXPECT_EQ(runner.calls.at(204), "hold");
  EXPECT_EQ(runner.count("graph rep"), 3 + 300);
  EXPECT_EQ(t.reps, 300);
  EXPECT_NEAR(t.median_ms, 0.004, 1e-9);  // graph launch 3 us + 1 us write-back
}

TEST(TimeReps, AStreamThatCannotBeCapturedIsTimedWithoutAGraph) {
  ScriptedRunner runner(rep(0.033, 0.004, 0.033), rep(0.033, 0.003, 0.034));
  runner.capturable = false;
  TimingSettings s;
  s.warmup_ms = 0;
  s.max_reps = 20;
  const Timing t = time_reps(runner, s);
  EXPECT_FALSE(t.graph_replay);
  EXPECT_EQ(runner.count("use graph"), 1);
  EXPECT_EQ(runner.count("graph rep"), 0);
  EXPECT_EQ(runner.count("rep"), 3 + 20);
  EXPECT_NEAR(t.median_ms, 0.004, 1e-9);
}

TEST(TimeReps, GraphBelowZeroNeverCaptures) {
  ScriptedRunner runner(rep(0.033, 0.004, 0.033), rep(0.033, 0.003, 0.034));
  TimingSettings s;
  s.graph_below_us = 0;
  s.warmup_ms = 0;
  s.min_reps = 10;
  s.max_reps = 20;
  const Timing t = time_reps(runner, s);
  EXPECT_FALSE(t.graph_replay);
  EXPECT_EQ(runner.count("use graph"), 0);
  EXPECT_EQ(runner.count("rep"), 3 + 20);
}

TEST(TimeReps, ASlowHostGetsAHoldBeforeEveryTimedRepetition) {
  // A launch function that takes 60 us to enqueue (a Python callable): 2 x 60 + 20 - 33 = 107 us.
  ScriptedRunner runner(rep(0.033, 0.5, 0.040, 60), {});
  TimingSettings s;
  s.graph_below_us = 0;
  s.min_reps = 10;
  s.max_reps = 10;
  const Timing t = time_reps(runner, s);
  EXPECT_NEAR(t.hold_us, 107, 1e-9);
  ASSERT_EQ(runner.holds.size(), runner.calls.size() - 1);
  for (size_t i = runner.holds.size() - 10; i < runner.holds.size(); ++i) EXPECT_NEAR(runner.holds[i], 107, 1e-9);
  EXPECT_EQ(runner.holds.front(), 0);  // the schedule sets no hold before the warm-up
}

TEST(TimeReps, MinRepsAboveMaxRepsTakesMinReps) {
  ScriptedRunner runner(rep(0.033, 5.0, 0.033), {});
  TimingSettings s;
  s.warmup_ms = 0;
  s.min_reps = 12;
  s.max_reps = 5;
  EXPECT_EQ(time_reps(runner, s).reps, 12);
}

// A lesson's comparison times twice the repetitions of a tuning pass: the time aimed for and
// the minimum count double, the warm-up, cap and graph threshold stay the config's.
TEST(TimingSettings, TwiceTheRepsDoublesTheTimedRepetitionsOnly) {
  const TimingSettings s{25, 100, 10, 1000, 10};
  const TimingSettings twice = s.twice_the_reps();
  EXPECT_DOUBLE_EQ(twice.rep_ms, 200);
  EXPECT_EQ(twice.min_reps, 20);
  EXPECT_DOUBLE_EQ(twice.warmup_ms, 25);
  EXPECT_EQ(twice.max_reps, 1000);
  EXPECT_DOUBLE_EQ(twice.graph_below_us, 10);
}

}  // namespace
}  // namespace kpg
