#include "tuner/timing_method.hpp"

#include <algorithm>
#include <cmath>

namespace kpg {
namespace {

double percentile(const std::vector<double>& sorted, double p) {
  const double pos = p * static_cast<double>(sorted.size() - 1);
  const auto lo = static_cast<size_t>(std::floor(pos));
  const auto hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - static_cast<double>(lo));
}

double median_of(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return percentile(values, 0.5);
}

constexpr double kHostMarginUs = 20;

}  // namespace

double charged_ms(const RepTimes& rep) {
  return rep.launch_ms + std::max(0.0, rep.flush_ms - rep.reference_ms);
}

bool write_back_floored(const RepTimes& rep) { return rep.flush_ms < rep.reference_ms; }

Timing summarize(std::vector<double> samples_ms) {
  Timing t;
  if (samples_ms.empty()) return t;
  std::sort(samples_ms.begin(), samples_ms.end());
  t.reps = static_cast<int>(samples_ms.size());
  t.median_ms = percentile(samples_ms, 0.5);
  t.min_ms = samples_ms.front();
  const double p10 = percentile(samples_ms, 0.1), p90 = percentile(samples_ms, 0.9);
  t.spread_pct = t.median_ms > 0 ? 100.0 * (p90 - p10) / t.median_ms : 0.0;
  return t;
}

Timing summarize_reps(const std::vector<RepTimes>& reps) {
  std::vector<double> charged, launch, writeback;
  int floored = 0, late = 0;
  for (const auto& r : reps) {
    charged.push_back(charged_ms(r));
    launch.push_back(r.launch_ms);
    writeback.push_back(r.flush_ms - r.reference_ms);
    floored += write_back_floored(r) ? 1 : 0;
    late += r.host_late ? 1 : 0;
  }
  Timing t = summarize(std::move(charged));
  t.launch_median_ms = median_of(std::move(launch));
  t.writeback_median_ms = median_of(std::move(writeback));
  t.floored_reps = floored;
  t.host_late_reps = late;
  return t;
}

double hold_for(const std::vector<RepTimes>& reps) {
  if (reps.size() < 2) return kMinHoldUs;  // the first repetition pays for first-time work: not a guide
  std::vector<double> enqueue_us, reference_us;
  bool late = false;
  for (size_t i = 1; i < reps.size(); ++i) {
    enqueue_us.push_back(reps[i].host_enqueue_us);
    reference_us.push_back(reps[i].reference_ms * 1e3);
    late = late || reps[i].host_late;
  }
  std::sort(enqueue_us.begin(), enqueue_us.end());
  const double lead_us = 2 * percentile(enqueue_us, 0.9) + kHostMarginUs;
  double hold = std::max(kMinHoldUs, lead_us - median_of(std::move(reference_us)));
  if (late) hold = std::max(hold, lead_us);
  return hold;
}

TimingSettings TimingSettings::twice_the_reps() const {
  TimingSettings s = *this;
  s.rep_ms *= 2;
  s.min_reps *= 2;
  return s;
}

Timing time_reps(RepRunner& runner, const TimingSettings& s) {
  // Warm-up: module load, first touch and clocks stay out of the numbers; its samples also
  // estimate the launch's length, which picks graph replay and the number of repetitions.
  std::vector<RepTimes> warm;
  double warm_total = 0;
  while (warm.size() < 3 || (warm_total < s.warmup_ms && warm.size() < 200)) {
    warm.push_back(runner.run_rep());
    warm_total += charged_ms(warm.back());
  }
  const Timing estimate = summarize_reps(warm);

  const bool graph = estimate.launch_median_ms * 1e3 < s.graph_below_us && runner.use_graph();
  if (graph) {
    // The first replay uploads the graph; these repetitions tell the host's time to replay it.
    warm.clear();
    for (int i = 0; i < 3; ++i) warm.push_back(runner.run_rep());
  }
  const double hold = hold_for(warm);
  runner.set_hold_us(hold);

  const int reps = std::clamp(static_cast<int>(s.rep_ms / std::max(estimate.median_ms, 1e-4)), s.min_reps,
                              std::max(s.min_reps, s.max_reps));
  std::vector<RepTimes> timed;
  timed.reserve(static_cast<size_t>(reps));
  for (int i = 0; i < reps; ++i) timed.push_back(runner.run_rep());
  Timing t = summarize_reps(timed);
  t.graph_replay = graph;
  t.hold_us = hold;
  return t;
}

}  // namespace kpg
