#include "tuner/timer.hpp"

#include <algorithm>
#include <cmath>

#include "runtime/driver.hpp"
#include "runtime/error.hpp"

namespace kpg {
namespace {

// A captured CUDA graph of one launch sequence: replaying it removes the CPU launch
// gaps between the kernels of a sequence, so launch overhead does not pick the winner.
class CapturedGraph {
 public:
  CapturedGraph(const LaunchFn& launch, CUstream stream) {
    const auto& d = driver();
    KPG_CU_CHECK(d.cuStreamBeginCapture(stream, CU_STREAM_CAPTURE_MODE_THREAD_LOCAL));
    try {
      launch(stream);
    } catch (...) {
      CUgraph aborted = nullptr;
      d.cuStreamEndCapture(stream, &aborted);
      if (aborted) d.cuGraphDestroy(aborted);
      throw;
    }
    KPG_CU_CHECK(d.cuStreamEndCapture(stream, &graph_));
    KPG_CU_CHECK(d.cuGraphInstantiate(&exec_, graph_, 0));
  }
  CapturedGraph(const CapturedGraph&) = delete;
  CapturedGraph& operator=(const CapturedGraph&) = delete;
  ~CapturedGraph() {
    const auto& d = driver();
    if (exec_) d.cuGraphExecDestroy(exec_);
    if (graph_) d.cuGraphDestroy(graph_);
  }
  void replay(CUstream stream) const { KPG_CU_CHECK(driver().cuGraphLaunch(exec_, stream)); }

 private:
  CUgraph graph_ = nullptr;
  CUgraphExec exec_ = nullptr;
};

double percentile(const std::vector<double>& sorted, double p) {
  const double pos = p * static_cast<double>(sorted.size() - 1);
  const auto lo = static_cast<size_t>(std::floor(pos));
  const auto hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - static_cast<double>(lo));
}

}  // namespace

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

Timer::Timer(const DeviceProperties& props) : flush_(props) {}

double Timer::time_once_ms(const LaunchFn& launch, CUstream stream) const {
  flush_.run(stream);
  start_.record(stream);
  launch(stream);
  stop_.record(stream);
  stop_.synchronize();
  return static_cast<double>(Event::elapsed_ms(start_, stop_));
}

Timing Timer::time(const LaunchFn& launch, const TimingSettings& s, CUstream stream) const {
  // Warm-up: module load, first-touch and clocks stay out of the numbers. Its samples
  // also estimate the kernel's length, which sets the number of repetitions.
  std::vector<double> warm;
  double warm_total = 0;
  while (warm.size() < 3 || (warm_total < s.warmup_ms && warm.size() < 200)) {
    warm.push_back(time_once_ms(launch, stream));
    warm_total += warm.back();
  }
  const double estimate_ms = summarize(warm).median_ms;

  std::unique_ptr<CapturedGraph> graph;
  LaunchFn timed = launch;
  if (estimate_ms * 1000.0 < s.graph_below_us) {
    graph = std::make_unique<CapturedGraph>(launch, stream);
    timed = [g = graph.get()](CUstream st) { g->replay(st); };
    time_once_ms(timed, stream);  // first replay uploads the graph
  }

  const int reps = std::clamp(static_cast<int>(s.rep_ms / std::max(estimate_ms, 1e-4)),
                              s.min_reps, s.max_reps);
  std::vector<double> samples;
  samples.reserve(static_cast<size_t>(reps));
  for (int i = 0; i < reps; ++i) samples.push_back(time_once_ms(timed, stream));
  Timing t = summarize(std::move(samples));
  t.graph_replay = graph != nullptr;
  return t;
}

}  // namespace kpg
