#include "tuner/tuner.hpp"

#include <chrono>
#include <random>

#include "runtime/driver.hpp"
#include "tuner/failure_log.hpp"
#include "tuner/gpu_measure.hpp"
#include "tuner/sampled_reference.hpp"
#include "tuner/tuning_key.hpp"

namespace kpg {

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

CandidateCompiler Tuner::compiler_for(const OpConfig& config, const Shape& shape) const {
  return CandidateCompiler(compiler_, config, shape, gpu_.limits(), gpu_.props().arch(), kernels_dir_);
}

CompileOptions Tuner::compile_options(const OpConfig& config, const Candidate& candidate,
                                      const Shape& shape) const {
  return compiler_for(config, shape).options(candidate);
}

BoundCandidate Tuner::bind(const OpConfig& config, const VariantSpec& variant, const Candidate& candidate,
                           const Workload& workload) const {
  const CandidateCompiler compile = compiler_for(config, workload.shape());
  return bind(variant, candidate, compiler_.compile_file(compile.source(candidate), compile.options(candidate)),
              workload);
}

BoundCandidate Tuner::bind(const VariantSpec& variant, const Candidate& candidate, CompiledKernel compiled,
                           const Workload& workload) const {
  BoundCandidate b{candidate, std::move(compiled), nullptr, nullptr};
  b.module = std::make_unique<Module>(Module::load(b.compiled.image));
  b.plan = std::make_unique<LaunchPlan>(variant.spaces.at(candidate.space_index), candidate, workload,
                                        gpu_.limits(), *b.module);
  return b;
}

CheckReport Tuner::verify(const BoundCandidate& bound, Workload& workload) const {
  return verify_once(gpu_, *bound.plan, workload);
}

CheckReport Tuner::verify(const LaunchFn& launch, Workload& workload) const {
  return verify_once(gpu_, launch, workload);
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
  run_once(gpu_, *bound.plan, workload);
  workload.set_reference(workload.download_outputs());
  record.ok = true;
  if (on_event) on_event(TuneEvent{TuneEvent::Kind::result, key, record, true});
}

TuneResult Tuner::tune(const OpConfig& config, const VariantSpec& variant, Workload& workload,
                       const TuneOptions& options) const {
  const auto start = std::chrono::steady_clock::now();
  const TunePlan plan(config, variant, workload.shape(), gpu_.limits());
  const CandidateCompiler compile = compiler_for(config, workload.shape());
  GpuMeasure measure(gpu_, plan, workload, compile, options.prepare);
  const CacheKey key = cache_key(config, variant, workload.shape());
  TuneLog log(cache_, key, plan.live_ids(), options.on_event, failure_keeper(cache_, key, plan, compile));
  TuneResult result = run_tune(plan, log, TuneStages{std::cref(compile), measure}, options);
  result.wall_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace kpg
