#pragma once
// Verify and time, the tuner's GPU stages: a compiled candidate loaded and bound to the
// workload, its resources checked against the card, its outputs poisoned, one launch
// compared with the float64 reference, then timed (tuner/timer.hpp).

#include <functional>

#include "tuner/compile_pool.hpp"
#include "tuner/gpu.hpp"
#include "tuner/launch_plan.hpp"
#include "tuner/tune_pipeline.hpp"
#include "tuner/tune_plan.hpp"
#include "tuner/workload.hpp"

namespace kpg {

// Poisons the outputs, launches once on the GPU's stream and waits. `launch` enqueues the
// kernels on the stream it is given: a plan's, or a library Launcher's on the workload's
// buffers (`kpg run`, the tutorials).
void run_once(const Gpu& gpu, const LaunchFn& launch, Workload& workload);
void run_once(const Gpu& gpu, const LaunchPlan& plan, Workload& workload);
// run_once, then the outputs against the workload's reference (computed first if need be).
CheckReport verify_once(const Gpu& gpu, const LaunchFn& launch, Workload& workload);
CheckReport verify_once(const Gpu& gpu, const LaunchPlan& plan, Workload& workload);

class GpuMeasure final : public CandidateMeasure {
 public:
  // `prepare` (may be empty) fills the workload's inputs before it is first used.
  GpuMeasure(const Gpu& gpu, const TunePlan& plan, Workload& workload, const CandidateCompiler& compile,
             std::function<void(Workload&)> prepare);

  // prepare, then the reference: computed once, before the GPU starts waiting on it.
  void prepare_measure() override;
  TuneRecord measure(const Candidate& c, const CompiledKernel& kernel) override;
  void prepare_retime() override;
  // Twice the repetitions of a tuning pass and of its cap; no warm-up, the pass just ran.
  Timing retime(const Candidate& c) override;

 private:
  LaunchPlan bind(const Candidate& c, const Module& module) const;
  Timing time(const LaunchPlan& launch, const TimingSettings& settings) const;

  const Gpu& gpu_;
  const TunePlan& plan_;
  Workload& workload_;
  const CandidateCompiler& compile_;
  std::function<void(Workload&)> prepare_;
};

}  // namespace kpg
