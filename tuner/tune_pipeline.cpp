#include "tuner/tune_pipeline.hpp"

#include <spdlog/spdlog.h>

#include <limits>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "tuner/budget_search.hpp"
#include "tuner/progress.hpp"
#include "tuner/recorded_choice.hpp"
#include "tuner/selection.hpp"

namespace kpg {
namespace {

constexpr double kNotTimed = std::numeric_limits<double>::infinity();

// Verify and time one compiled candidate, and record the result; its median, or
// kNotTimed when it failed (what the budgeted search ranks by).
double measure_and_record(const Candidate& c, CompileOutcome outcome, CandidateMeasure& measure, TuneLog& log,
                          TuneResult& result) {
  if (!outcome.kernel) {
    log.record(failure_record(c, outcome.error));
    return kNotTimed;
  }
  ++result.compiled;
  result.compile_cache_hits += outcome.kernel->cache_hit ? 1 : 0;
  result.compile_ms_total += outcome.kernel->compile_ms;
  log.starting(c);
  TuneRecord r;
  try {
    r = measure.measure(c, *outcome.kernel);
  } catch (const CudaError& e) {
    // A fault poisons the context: record it so a rerun skips this candidate, then stop.
    log.record(failure_record(c, std::string("fault: ") + e.what()));
    throw CandidateFault("candidate " + c.id() + " faulted on the GPU (" + e.what() +
                         "); it is recorded as failed and the results so far are in the tuning cache");
  } catch (const Error& e) {
    r = failure_record(c, std::string("launch error: ") + e.what());
  }
  const double ms = r.ok ? r.median_ms : kNotTimed;
  log.record(std::move(r));
  return ms;
}

// Every candidate of `todo`, in grid order, compiled on every core ahead of the GPU.
void time_all(const TunePlan& plan, const std::vector<size_t>& todo, const TuneStages& stages,
              const TuneOptions& options, TuneLog& log, TuneResult& result) {
  const unsigned jobs = options.jobs ? options.jobs : std::max(1u, std::thread::hardware_concurrency());
  Progress progress(plan.config().op + "/" + plan.variant().name, todo.size(), options.progress);
  CompilePool pool(todo.size(), jobs, [&](size_t k) { return stages.compile(plan.candidates()[todo[k]]); });
  for (size_t k = 0; k < todo.size(); ++k) {
    measure_and_record(plan.candidates()[todo[k]], pool.take(k), stages.measure, log, result);
    progress.update(pool.finished(), k + 1, log.failed());
  }
  progress.finish();
}

// At most `budget` candidates of `todo`, in the budgeted search's order (budget_search.hpp);
// each compiled when the search picks it.
void time_budget(const TunePlan& plan, const std::vector<size_t>& todo, size_t budget, const TuneStages& stages,
                 const TuneOptions& options, TuneLog& log, TuneResult& result) {
  std::vector<Candidate> pool;
  for (size_t i : todo) pool.push_back(plan.candidates()[i]);
  Progress progress(plan.config().op + "/" + plan.variant().name, budget, options.progress);
  size_t done = 0;
  budget_order(pool, budget, options.seed ? options.seed : std::random_device{}(), [&](const Candidate& c) {
    const double ms = measure_and_record(c, stages.compile(c), stages.measure, log, result);
    progress.update(result.compiled, ++done, log.failed());
    return ms;
  });
  progress.finish();
}

// Two candidates closer than their run-to-run spread are measured again, one after the
// other, before one is declared the winner.
void rematch(const TunePlan& plan, const Selection& sel, CandidateMeasure& measure, TuneLog& log) {
  measure.prepare_retime();
  for (const TuneRecord* r : {&*sel.best, &*sel.runner_up}) {
    const Candidate& c = *plan.find(r->candidate_id);
    log.remeasured(timed_record(c, measure.retime(c)));
  }
}

// Select: choose_recorded (the nearest tuned shape only under no_tune, where nothing is timed).
void choose(const TunePlan& plan, const TuneLog& log, const Selection& sel, bool timed_now, bool no_tune,
            TuneResult& result) {
  result.best = sel.best;
  if (const auto def = plan.default_candidate())
    if (const auto it = log.known().find(def->id()); it != log.known().end()) result.default_record = it->second;
  const RecordedChoice pick = choose_recorded(plan, sel, no_tune ? &log.cache() : nullptr, log.key());
  if (pick.candidate) result.chosen = *pick.candidate;
  result.source = sel.best && timed_now ? ChoiceSource::tuned_now : pick.source;
  result.source_detail = pick.detail;
  if (!sel.best && !no_tune && !plan.candidates().empty())
    spdlog::warn("{}/{} at {}: no candidate passed; using the config default", plan.config().op, plan.variant().name,
                 plan.shape().to_string());
}

}  // namespace

TuneResult run_tune(const TunePlan& plan, TuneLog& log, const TuneStages& stages, const TuneOptions& options) {
  TuneResult result;
  result.op = plan.config().op;
  result.variant = plan.variant().name;
  result.shape = plan.shape();
  result.key = log.key();
  result.pruned = plan.pruned();
  result.candidates = plan.candidates().size();

  // Nothing is timed under no_tune (cache, nearest tuned shape or default) or when worker
  // processes have just timed this grid (their records are in the cache).
  const bool time_here = !options.no_tune && !options.timed_elsewhere;
  const std::vector<size_t> todo = time_here ? plan.to_time(log.known(), options) : std::vector<size_t>{};
  if (!todo.empty()) {
    stages.measure.prepare_measure();
    const size_t budget =
        options.budget ? (*options.budget + options.shard_count - 1) / options.shard_count : todo.size();
    if (budget < todo.size()) time_budget(plan, todo, budget, stages, options, log, result);
    else time_all(plan, todo, stages, options, log, result);
  }

  const bool timed_now = !todo.empty() || options.timed_elsewhere;
  Selection sel = log.select();
  if (sel.within_noise && sel.best && sel.runner_up && options.rematch_ties && !options.no_tune && timed_now) {
    rematch(plan, sel, stages.measure, log);
    sel = log.select();
  }
  choose(plan, log, sel, timed_now, options.no_tune, result);
  result.records = log.records();
  result.timed = log.timed();
  result.failed = log.failed();
  return result;
}

}  // namespace kpg
