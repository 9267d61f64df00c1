#include "tuner/timer.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <memory>

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

// Repetitions of one launch on one stream. Construction flushes L2, so the first repetition
// starts from the same state as every later one (the previous repetition's flush).
class GpuReps final : public RepRunner {
 public:
  GpuReps(const L2Flush& l2, const Event (&events)[4], const LaunchFn& launch, CUstream stream)
      : l2_(l2), e_(events), launch_(launch), stream_(stream) {
    l2_.flush(stream_);
  }

  RepTimes run_rep() override {
    l2_.kernels().hold(hold_us_, stream_);
    e_[0].record(stream_);
    l2_.reference_read(stream_);
    e_[1].record(stream_);
    const auto start = std::chrono::steady_clock::now();
    if (graph_) graph_->replay(stream_);
    else launch_(stream_);
    const auto end = std::chrono::steady_clock::now();
    e_[2].record(stream_);
    l2_.flush(stream_);
    e_[3].record(stream_);
    // Everything up to e3 is enqueued now. If the GPU has not reached e1 yet, no interval
    // from e1 on can hold a wait for the host; if it has, one may.
    RepTimes r;
    r.host_late = e_[1].completed();
    e_[3].synchronize();
    r.reference_ms = Event::elapsed_ms(e_[0], e_[1]);
    r.launch_ms = Event::elapsed_ms(e_[1], e_[2]);
    r.flush_ms = Event::elapsed_ms(e_[2], e_[3]);
    r.host_enqueue_us = std::chrono::duration<double, std::micro>(end - start).count();
    return r;
  }

  bool use_graph() override {
    if (stream_ == nullptr || stream_ == CU_STREAM_LEGACY) return false;  // capture is not allowed there
    graph_ = std::make_unique<CapturedGraph>(launch_, stream_);
    return true;
  }
  void set_hold_us(double us) override { hold_us_ = us; }

 private:
  const L2Flush& l2_;
  const Event (&e_)[4];
  const LaunchFn& launch_;
  CUstream stream_;
  std::unique_ptr<CapturedGraph> graph_;
  double hold_us_ = kMinHoldUs;
};

}  // namespace

Timer::Timer(const DeviceProperties& props) : l2_(props) {}

Timing Timer::time(const LaunchFn& launch, const TimingSettings& settings, CUstream stream) const {
  GpuReps runner(l2_, events_, launch, stream);
  const Timing t = time_reps(runner, settings);
  // A few late repetitions (the host descheduled for a moment) do not move the median; many
  // mean the host cannot keep up and the figure may hold host time.
  if (t.host_late_reps > 0)
    spdlog::log(t.host_late_reps * 10 > t.reps ? spdlog::level::warn : spdlog::level::debug,"timer: in {} of {} repetitions the GPU reached the launch before the host had enqueued "
                 "the work after it (held {:.0f} us); those times may include host time",
                 t.host_late_reps, t.reps, t.hold_us);
  return t;
}

RepTimes Timer::rep(const LaunchFn& launch, CUstream stream) const {
  return GpuReps(l2_, events_, launch, stream).run_rep();
}

}  // namespace kpg
