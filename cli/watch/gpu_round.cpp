#include "cli/watch/gpu_round.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <future>
#include <map>
#include <optional>
#include <random>

#include "cli/core/diagnostics.hpp"
#include "runtime/error.hpp"
#include "tuner/compile_all.hpp"
#include "tuner/tuner.hpp"

namespace kpg {
namespace {

std::string indented(const std::string& text) {
  std::string out = "    ";
  for (const char c : text) out += c == '\n' ? std::string("\n    ") : std::string(1, c);
  return out;
}

struct Choice {
  Candidate candidate;
  std::string source;
};

// What one variant runs this round: a choice known now, or a tune first (which needs the
// reference, so it waits until the compiles are done).
struct Plan {
  const VariantSpec* variant = nullptr;
  std::optional<Choice> choice;
  std::string tune_reason;  // non-empty: tune, then run what it chooses
  size_t candidates = 0;
  std::string pruning;  // why candidates were pruned (describe_pruning)
};

std::string source_text(const TuneResult& r) {
  return std::string(to_string(r.source)) + (r.source_detail.empty() ? "" : " " + r.source_detail);
}

Plan plan_variant(const GpuBench& bench, const OpConfig& config, const VariantSpec& variant, Workload& workload,
                  const WatchSettings& settings, VariantHistory& history) {
  Plan plan{&variant, std::nullopt, "", 0, ""};
  PruneReport pruned;
  const auto live = enumerate(config, variant, workload.shape(), bench.gpu().limits(), &pruned);
  plan.pruning = describe_pruning(pruned);
  std::vector<std::string> ids;
  for (const auto& c : live) ids.push_back(c.id());
  const bool grid_changed = history.grid && *history.grid != ids;
  history.grid = ids;
  plan.candidates = live.size();
  if (live.empty()) return plan;
  if (settings.retune || grid_changed) {
    plan.tune_reason = grid_changed ? "grid changed" : "--retune";
    return plan;
  }
  // The tuning cache's choice for this source; else the last tuned choice (a kernel edit
  // changes the source hash, and the same configuration should be compared); else the
  // nearest tuned shape's choice or the config default. Nothing is timed here.
  TuneOptions lookup;
  lookup.no_tune = true;
  lookup.progress = false;
  const TuneResult r = bench.tuner().tune(config, variant, workload, lookup);
  if (r.source == ChoiceSource::cache) {
    history.tuned_choice = r.chosen;
    plan.choice = Choice{r.chosen, "tuning cache"};
  } else if (const auto kept = history.tuned_choice
                                   ? std::find_if(live.begin(), live.end(),
                                                  [&](const Candidate& c) { return c.id() == history.tuned_choice->id(); })
                                   : live.end();
             kept != live.end()) {
    plan.choice = Choice{*kept, "last tuned choice; no record for this source yet"};
  } else {
    plan.choice = Choice{r.chosen, source_text(r)};
  }
  return plan;
}

// Every variant's choice (and the reference variant's default) compiled at once, on as
// many threads: after an edit the round waits for the slowest compile, not for their sum.
class Prefetch {
 public:
  Prefetch(const GpuBench& bench, const OpConfig& config, const Shape& shape, const std::vector<Plan>& plans) {
    const auto start = [&](const std::string& key, const Candidate& c) {
      const CompileOptions options = bench.tuner().compile_options(config, c, shape);
      const Compiler& compiler = bench.compiler();
      const std::filesystem::path source = config.space_of(c.variant, c.space_index).source;
      jobs_.emplace(key, std::async(std::launch::async, [&compiler, source, options] {
                      return compiler.compile_file(source, options);
                    }));
    };
    for (const auto& plan : plans)
      if (plan.choice) start(plan.variant->name, plan.choice->candidate);
    // The reference's compile only warms the cubin cache (ensure_reference compiles it again).
    if (const VariantSpec* ref = config.reference.variant.empty() ? nullptr : config.find_variant(config.reference.variant))
      if (const auto c = default_candidate(config, *ref, shape, bench.gpu().limits())) start("\n" + ref->name, *c);
  }
  ~Prefetch() {
    for (auto& [key, job] : jobs_)
      if (job.valid()) job.wait();
  }
  Prefetch(const Prefetch&) = delete;
  Prefetch& operator=(const Prefetch&) = delete;

  // The compile started for this variant and candidate, if any (rethrows its CompileError).
  std::optional<CompiledKernel> take(const std::string& variant) {
    const auto it = jobs_.find(variant);
    if (it == jobs_.end() || !it->second.valid()) return std::nullopt;
    return it->second.get();
  }

 private:
  std::map<std::string, std::future<CompiledKernel>> jobs_;
};

BoundCandidate bind_candidate(const GpuBench& bench, const OpConfig& config, const VariantSpec& variant, const Candidate& c,
                    const Workload& workload, std::optional<CompiledKernel> compiled) {
  if (!compiled)
    compiled = bench.compiler().compile_file(config.space_of(c.variant, c.space_index).source,
                                             bench.tuner().compile_options(config, c, workload.shape()));
  // A launch naming a kernel the source lacks is a config error, not a driver error.
  const SpaceSpec& space = variant.spaces.at(c.space_index);
  if (const auto missing = missing_kernels(space, *compiled, space.source); !missing.empty())
    throw InputError(missing.front());
  return bench.tuner().bind(variant, c, std::move(*compiled), workload);
}

// Returns false when the result was wrong (the workload is then rebuilt next round).
bool run_variant(const GpuBench& bench, const OpConfig& config, const Plan& plan, Prefetch& prefetch,
                 Workload& workload, const WatchSettings& settings, VariantHistory& history, RoundOutcome& outcome,
                 std::ostream& out) {
  const VariantSpec& variant = *plan.variant;
  if (plan.candidates == 0) {
    out << variant.name << "  no configuration passes the constraints at " << workload.shape().to_string() << ": "
        << plan.pruning << "\n";
    ++outcome.input_errors;
    return true;
  }
  Choice choice;
  if (!plan.tune_reason.empty()) {
    out << variant.name << "  " << plan.tune_reason << ": tuning " << plan.candidates
        << " candidates (those with a record for this source are not timed again)\n";
    out.flush();
    TuneOptions options;
    options.jobs = settings.jobs;
    options.seed = settings.seed;
    const TuneResult r = bench.tuner().tune(config, variant, workload, options);
    if (r.best) history.tuned_choice = r.chosen;
    choice = Choice{r.chosen, source_text(r)};
  } else {
    choice = *plan.choice;
  }
  const Candidate& chosen = choice.candidate;
  const std::string label = variant_label(variant.name, chosen.space_name);
  const std::string params = params_of(chosen.id());
  std::optional<BoundCandidate> bound;
  try {
    bound.emplace(bind_candidate(bench, config, variant, chosen, workload, prefetch.take(variant.name)));
  } catch (const CompileError& e) {
    out << label << "  COMPILE ERROR (" << params << ", " << choice.source << ")\n";
    print_compile_error(out, e);
    ++outcome.compile_errors;
    return true;
  }
  if (const auto why = bound->plan->resource_problem(bench.gpu().props())) {
    out << label << "  cannot run (" << params << "): " << *why << "\n";
    ++outcome.other_errors;
    return true;
  }
  const CheckReport check = bench.tuner().verify(*bound, workload);
  if (!check.ok) {
    out << label << "  WRONG RESULT (" << params << ", " << choice.source << ")\n" << indented(check.describe()) << "\n";
    ++outcome.wrong;
    history.timed.reset();
    return false;
  }
  const Timing t = bench.gpu().timer().time([&](CUstream s) { bound->plan->launch(s); }, config.timing,
                                            bench.gpu().stream());
  const TimedRun now{chosen.id(), t.median_ms, t.spread_pct};
  out << label << "  " << time_change(history.timed, now) << "\n";
  std::string details = params + " (" + choice.source + ")";
  if (history.timed && history.timed->candidate_id != now.candidate_id)
    details += ", last round " + params_of(history.timed->candidate_id);
  details += fmt::format(", {:.0f} GB/s, spread {:.1f}%, {} reps, ",
                         static_cast<double>(workload.min_bytes()) / (t.median_ms * 1e6), t.spread_pct, t.reps);
  out << "    " << details << compile_change(history.compile_ms, bound->compiled) << "\n";
  history.timed = now;
  history.compile_ms = bound->compiled.compile_ms;
  ++outcome.ok;
  return true;
}

}  // namespace

Workload& GpuRound::workload_for(const OpConfig& config, const Shape& shape, const WatchSettings& settings) {
  const bool reuse = workload_ && &workload_->config() == &config && workload_->shape() == shape;
  if (!reuse) {
    workload_.reset();
    workload_seed_ = settings.seed ? settings.seed : std::random_device{}();
    workload_ = std::make_unique<Workload>(config, shape, bench_.gpu().limits());
    workload_->randomize(workload_seed_);
  } else if (!config.reference.variant.empty()) {
    workload_->randomize(workload_seed_);  // same inputs; the reference variant's kernel may have changed
  }
  return *workload_;
}

void GpuRound::handle_fault(const std::string& what, RoundOutcome& outcome, std::ostream& out) {
  ++outcome.faults;
  out << "GPU FAULT: " << what << "\n";
  workload_.reset();
  // A fault (illegal address, misaligned access, trap) is sticky: the driver returns it for
  // every later call of this process, so the GPU cannot be used here any more.
  outcome.gpu_lost = true;
  outcome.fatal = true;
  outcome.fatal_message = "the GPU context is unusable after a fault (CUDA keeps the error for the life of the process)";
}

void GpuRound::run(const OpConfig& config, const Shape& shape, const std::vector<const VariantSpec*>& variants,
                   const WatchSettings& settings, RoundHistory& history, RoundOutcome& outcome, std::ostream& out) {
  bool keep_workload = true;
  try {
    Workload& workload = workload_for(config, shape, settings);
    std::vector<Plan> plans;
    for (const VariantSpec* variant : variants)
      plans.push_back(plan_variant(bench_, config, *variant, workload, settings, history[variant->name]));
    Prefetch prefetch(bench_, config, shape, plans);
    bench_.tuner().ensure_reference(config, workload);
    for (const Plan& plan : plans) {
      if (settings.stop_requested && settings.stop_requested()) break;
      try {
        keep_workload &= run_variant(bench_, config, plan, prefetch, workload, settings, history[plan.variant->name],
                                     outcome, out);
      } catch (const Error& e) {
        if (!bench_.healthy()) throw;  // a fault: the context and the workload must go
        out << plan.variant->name << "  error: " << e.what() << "\n";
        ++(dynamic_cast<const InputError*>(&e) ? outcome.input_errors : outcome.other_errors);
      }
      out.flush();
    }
  } catch (const CompileError& e) {  // the reference variant's default does not compile
    out << "reference variant " << config.reference.variant << "  COMPILE ERROR\n";
    print_compile_error(out, e);
    ++outcome.compile_errors;
  } catch (const Error& e) {
    if (!bench_.healthy()) {
      handle_fault(e.what(), outcome, out);
      return;
    }
    out << "error: " << e.what() << "\n";
    ++(dynamic_cast<const InputError*>(&e) ? outcome.input_errors : outcome.other_errors);
    keep_workload = false;
  }
  if (!keep_workload) workload_.reset();
}

}  // namespace kpg
