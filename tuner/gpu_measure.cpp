#include "tuner/gpu_measure.hpp"

#include <utility>

#include "runtime/module.hpp"

namespace kpg {

void run_once(const Gpu& gpu, const LaunchFn& launch, Workload& workload) {
  workload.poison_outputs(gpu.stream());
  launch(gpu.stream());
  gpu.synchronize();
}

void run_once(const Gpu& gpu, const LaunchPlan& plan, Workload& workload) {
  run_once(gpu, [&](CUstream s) { plan.launch(s); }, workload);
}

CheckReport verify_once(const Gpu& gpu, const LaunchFn& launch, Workload& workload) {
  const auto& expected = workload.reference();
  run_once(gpu, launch, workload);
  return workload.check(expected);
}

CheckReport verify_once(const Gpu& gpu, const LaunchPlan& plan, Workload& workload) {
  return verify_once(gpu, [&](CUstream s) { plan.launch(s); }, workload);
}

GpuMeasure::GpuMeasure(const Gpu& gpu, const TunePlan& plan, Workload& workload, const CandidateCompiler& compile,
                       std::function<void(Workload&)> prepare)
    : gpu_(gpu), plan_(plan), workload_(workload), compile_(compile), prepare_(std::move(prepare)) {}

void GpuMeasure::prepare_measure() {
  prepare_retime();
  workload_.reference();
}

void GpuMeasure::prepare_retime() {
  if (prepare_) prepare_(workload_);
}

LaunchPlan GpuMeasure::bind(const Candidate& c, const Module& module) const {
  return LaunchPlan(plan_.variant().spaces.at(c.space_index), c, workload_, gpu_.limits(), module);
}

TuneRecord GpuMeasure::measure(const Candidate& c, const CompiledKernel& kernel) {
  const Module module = Module::load(kernel.image);
  const LaunchPlan launch = bind(c, module);
  if (auto why = launch.resource_problem(gpu_.props())) return failure_record(c, "resources: " + *why);
  if (const CheckReport check = verify_once(gpu_, launch, workload_); !check.ok)
    return failure_record(c, "wrong result: " + check.describe());
  return timed_record(c, time(launch, plan_.config().timing));
}

Timing GpuMeasure::retime(const Candidate& c) {
  const CompiledKernel kernel = compile_.compiler().compile_file(compile_.source(c), compile_.options(c));
  const Module module = Module::load(kernel.image);
  const LaunchPlan launch = bind(c, module);
  TimingSettings settings = plan_.config().timing.twice_the_reps();
  settings.warmup_ms = 0;
  settings.max_reps *= 2;
  return time(launch, settings);
}

Timing GpuMeasure::time(const LaunchPlan& launch, const TimingSettings& settings) const {
  return gpu_.timer().time([&](CUstream s) { launch.launch(s); }, settings, gpu_.stream());
}

}  // namespace kpg
