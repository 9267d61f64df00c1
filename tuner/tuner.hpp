#pragma once
// The tuner on a GPU. A tune is the pipeline of tuner/tune_pipeline.hpp: plan, compile
// (every candidate of a variant's grid in parallel, through the cubin cache, while the GPU
// verifies and times the ones already compiled), verify and time (tuner/gpu_measure.hpp),
// record (each result in the tuning cache as soon as it exists), select (the best is
// derived from the records, so adding a grid value times only the new candidate and a
// crash loses nothing). Tuner::tune() wires those stages; the class also binds and
// verifies single candidates for `kpg run`, `kpg watch` and the lessons.

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/compiler.hpp"
#include "runtime/error.hpp"
#include "runtime/module.hpp"
#include "tuner/compile_pool.hpp"
#include "tuner/config.hpp"
#include "tuner/gpu.hpp"
#include "tuner/launch_plan.hpp"
#include "tuner/selection.hpp"
#include "tuner/space.hpp"
#include "tuner/tune_pipeline.hpp"
#include "tuner/tune_types.hpp"
#include "tuner/tuning_cache.hpp"
#include "tuner/workload.hpp"

namespace kpg {

// A candidate compiled, loaded and bound to a workload, ready to launch.
struct BoundCandidate {
  Candidate candidate;
  CompiledKernel compiled;
  std::unique_ptr<Module> module;
  std::unique_ptr<LaunchPlan> plan;
};

class Tuner {
 public:
  // `cache` receives the records of every tune.
  Tuner(const Gpu& gpu, const Compiler& compiler, TuningCache& cache, std::filesystem::path kernels_dir);

  TuneResult tune(const OpConfig& config, const VariantSpec& variant, Workload& workload,
                  const TuneOptions& options) const;

  // Compile (through the cubin cache), load and bind one candidate.
  BoundCandidate bind(const OpConfig& config, const VariantSpec& variant, const Candidate& candidate,
                      const Workload& workload) const;
  // Load and bind one candidate already compiled.
  BoundCandidate bind(const VariantSpec& variant, const Candidate& candidate, CompiledKernel compiled,
                      const Workload& workload) const;

  // Poison outputs, launch once, compare with the workload's reference.
  CheckReport verify(const BoundCandidate& bound, Workload& workload) const;
  // The same check of `launch`, which enqueues kernels writing the workload's outputs on
  // the stream it is given (a library Launcher on the workload's buffers).
  CheckReport verify(const LaunchFn& launch, Workload& workload) const;

  // Make sure the workload has a reference: the config's builtin (on sampled rows where it
  // declares a sampled form and the full one would take minutes: tuner/sampled_reference.hpp,
  // computed on first use otherwise), or the default of another variant. That kernel is
  // reported through `on_event` like a candidate (start, then result, with `reference`
  // set), so that a supervisor holds it to the same watchdog.
  void ensure_reference(const OpConfig& config, Workload& workload,
                        const std::function<void(const TuneEvent&)>& on_event = {}) const;

  const Gpu& gpu() const { return gpu_; }
  CacheKey cache_key(const OpConfig& config, const VariantSpec& variant, const Shape& shape) const;
  CompileOptions compile_options(const OpConfig& config, const Candidate& candidate,
                                 const Shape& shape) const;

 private:
  // The compile stage of a tune of `config` at `shape` on this GPU.
  CandidateCompiler compiler_for(const OpConfig& config, const Shape& shape) const;

  const Gpu& gpu_;
  const Compiler& compiler_;
  TuningCache& cache_;
  std::filesystem::path kernels_dir_;
};

}  // namespace kpg
