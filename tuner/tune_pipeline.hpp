#pragma once
// A tune as the pipeline docs/design/tuner.md draws: plan (tuner/tune_plan.hpp) -> compile
// (tuner/compile_pool.hpp) -> verify -> time (a CandidateMeasure: the Tuner on a GPU) ->
// record (tuner/tune_log.hpp) -> select (tuner/selection.hpp). run_tune() drives them; it
// holds every decision of a tune (what to time, budget or exhaustive order, faults, ties,
// what to fall back to) and no GPU code, so tests drive it on recorded timings.

#include <functional>

#include "runtime/compiler.hpp"
#include "runtime/error.hpp"
#include "tuner/compile_pool.hpp"
#include "tuner/timing_method.hpp"
#include "tuner/tune_log.hpp"
#include "tuner/tune_plan.hpp"
#include "tuner/tune_types.hpp"

namespace kpg {

// A candidate faulted on the GPU: its failure is recorded, but the context is lost, so
// this process can time nothing more (tune in worker processes to go on).
struct CandidateFault : Error {
  using Error::Error;
};

// Verify and time: what a tune asks of the GPU.
class CandidateMeasure {
 public:
  virtual ~CandidateMeasure() = default;
  // Before the first candidate is measured: the workload's inputs and reference are ready.
  virtual void prepare_measure() = 0;
  // Checks the compiled candidate against the reference, then times it: an ok record with
  // its time, or a failure record ("resources: ...", "wrong result: ..."). Throws
  // CudaError on a fault (the context is lost), another Error when it cannot launch.
  virtual TuneRecord measure(const Candidate& candidate, const CompiledKernel& kernel) = 0;
  // Before a tie is measured again: the workload's inputs are ready.
  virtual void prepare_retime() = 0;
  // Times the candidate again, longer than a tuning pass.
  virtual Timing retime(const Candidate& candidate) = 0;
};

struct TuneStages {
  std::function<CompileOutcome(const Candidate&)> compile;
  CandidateMeasure& measure;
};

// Times what the plan says needs it (in budget order under `options.budget`, else in grid
// order with compiles running ahead), records each result in `log` as it comes, re-measures
// a best and runner-up within noise of each other, and chooses: the best record, else (with
// no_tune) the nearest tuned shape's choice, else the variant's default. Throws
// CandidateFault after recording a candidate that faulted. wall_ms is left to the caller.
TuneResult run_tune(const TunePlan& plan, TuneLog& log, const TuneStages& stages, const TuneOptions& options);

}  // namespace kpg
