#include "tuner/tuner.hpp"

#include <chrono>
#include <random>

#include "runtime/driver.hpp"
#include "tuner/failure_log.hpp"
#include "tuner/sampled_reference.hpp"
#include "tuner/tuning_key.hpp"

namespace kpg {
namespace {

// Verify and time on the GPU, for run_tune().
class GpuMeasure final : public CandidateMeasure {
 public:
  GpuMeasure(const Tuner& tuner, const TunePlan& plan, Workload& workload,
             const std::function<void(Workload&)>& prepare)
      : tuner_(tuner), plan_(plan), workload_(workload), prepare_(prepare) {}

  void prepare_measure() override {
    prepare_retime();
    workload_.reference();  // computed once, before the GPU starts waiting on it
  }

  TuneRecord measure(const Candidate& c, const CompiledKernel& kernel) override {
    const Gpu& gpu = tuner_.gpu();
    const auto module = Module::load(kernel.image);
    const LaunchPlan launch(plan_.variant().spaces.at(c.space_index), c, workload_, gpu.limits(), module);
    if (auto why = launch.resource_problem(gpu.props())) return failure_record(c, "resources: " + *why);
    if (const CheckReport check = tuner_.verify(launch, workload_); !check.ok)
      return failure_record(c, "wrong result: " + check.describe());
    return timed_record(c, time(launch, plan_.config().timing));
  }

  void prepare_retime() override {
    if (prepare_) prepare_(workload_);
  }

  // Twice the repetitions of a tuning pass, and of its cap; no warm-up, the pass just ran.
  Timing retime(const Candidate& c) override {
    const auto bound = tuner_.bind(plan_.config(), plan_.variant(), c, workload_);
    TimingSettings settings = plan_.config().timing.twice_the_reps();
    settings.warmup_ms = 0;
    settings.max_reps *= 2;
    return time(*bound.plan, settings);
  }

 private:
  Timing time(const LaunchPlan& launch, const TimingSettings& settings) const {
    const Gpu& gpu = tuner_.gpu();
    return gpu.timer().time([&](CUstream s) { launch.launch(s); }, settings, gpu.stream());
  }

  const Tuner& tuner_;
  const TunePlan& plan_;
  Workload& workload_;
  const std::function<void(Workload&)>& prepare_;
};

}  // namespace

Tuner::Tuner(const Gpu& gpu, const Compiler& compiler, TuningCache& cache, std::filesystem::path kernels_dir)
    : gpu_(gpu), compiler_(compiler), cache_(cache), kernels_dir_(std::move(kernels_dir)) {}

CacheKey Tuner::cache_key(const OpConfig& config, const VariantSpec& variant, const Shape& shape) const {
  CacheKey key;
  key.op = config.op;
  key.source_hash = source_hash(config, {kernels_dir_}, &variant);
  key.device = gpu_.cache_identity();
  key.driver_version = std::to_string(driver_version());
  key.nvrtc_version = std::to_string(nvrtc_version());
  key.shape_key = shape_key(config, shape);
  key.variant = variant.name;
  return key;
}

CompileOptions Tuner::compile_options(const OpConfig& config, const Candidate& candidate,
                                      const Shape& shape) const {
  CompileOptions o;
  o.arch = gpu_.props().arch();
  const auto& space = config.space_of(candidate.variant, candidate.space_index);
  if (!space.arch.empty()) o.arch = space.arch;
  o.defines = compile_defines(config, candidate, shape, gpu_.limits());
  o.include_dirs = {kernels_dir_, space.source.parent_path()};
  return o;
}

CompileOutcome Tuner::compile(const OpConfig& config, const Candidate& candidate, const Shape& shape) const {
  return compile_outcome(compiler_, config.space_of(candidate.variant, candidate.space_index).source,
                         compile_options(config, candidate, shape));
}

BoundCandidate Tuner::bind(const OpConfig& config, const VariantSpec& variant, const Candidate& candidate,
                           const Workload& workload) const {
  BoundCandidate b{candidate,
                   compiler_.compile_file(variant.spaces.at(candidate.space_index).source,
                                          compile_options(config, candidate, workload.shape())),
                   nullptr, nullptr};
  b.module = std::make_unique<Module>(Module::load(b.compiled.image));
  b.plan = std::make_unique<LaunchPlan>(variant.spaces.at(candidate.space_index), candidate, workload,
                                        gpu_.limits(), *b.module);
  return b;
}

void Tuner::run_once(const LaunchPlan& plan, Workload& workload) const {
  workload.poison_outputs(gpu_.stream());
  plan.launch(gpu_.stream());
  gpu_.synchronize();
}

CheckReport Tuner::verify(const LaunchPlan& plan, Workload& workload) const {
  const auto& expected = workload.reference();
  run_once(plan, workload);
  return workload.check(expected);
}

CheckReport Tuner::verify(const BoundCandidate& bound, Workload& workload) const {
  return verify(*bound.plan, workload);
}

void Tuner::ensure_reference(const OpConfig& config, Workload& workload,
                             const std::function<void(const TuneEvent&)>& on_event) const {
  if (workload.has_reference()) return;
  if (config.reference.variant.empty()) {
    // A builtin: every tuning worker computes its own, so a large shape samples rows.
    choose_sampled_reference(workload, std::random_device{}());
    return;
  }
  const VariantSpec* ref_variant = config.find_variant(config.reference.variant);
  if (!ref_variant) throw Error(config.op + ": reference variant '" + config.reference.variant + "' not found");
  const auto c = default_candidate(config, *ref_variant, workload.shape(), gpu_.limits());
  if (!c) throw Error(config.op + ": reference variant '" + ref_variant->name + "' has no valid configuration");
  const auto bound = bind(config, *ref_variant, *c, workload);
  const CacheKey key = on_event ? cache_key(config, *ref_variant, workload.shape()) : CacheKey{};
  TuneRecord record = candidate_record(*c);
  if (on_event) on_event(TuneEvent{TuneEvent::Kind::start, key, record, true});
  run_once(*bound.plan, workload);
  workload.set_reference(workload.download_outputs());
  record.ok = true;
  if (on_event) on_event(TuneEvent{TuneEvent::Kind::result, key, record, true});
}

TuneResult Tuner::tune(const OpConfig& config, const VariantSpec& variant, Workload& workload,
                       const TuneOptions& options) const {
  const auto start = std::chrono::steady_clock::now();
  const TunePlan plan(config, variant, workload.shape(), gpu_.limits());
  const CacheKey key = cache_key(config, variant, workload.shape());
  // A failed candidate is kept reproducible: its source as it was and its NVRTC options.
  const auto keep = [&](const TuneRecord& r) {
    const Candidate& c = *plan.find(r.candidate_id);
    const CompileOptions options = compile_options(config, c, workload.shape());
    keep_failure(cache_, key, r, variant.spaces.at(c.space_index).source, &options);
  };
  TuneLog log(cache_, key, plan.live_ids(), options.on_event, keep);
  GpuMeasure measure(*this, plan, workload, options.prepare);
  const TuneStages stages{[&](const Candidate& c) { return compile(config, c, workload.shape()); }, measure};
  TuneResult result = run_tune(plan, log, stages, options);
  result.wall_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace kpg
