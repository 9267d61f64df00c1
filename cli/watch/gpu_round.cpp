#include "cli/watch/gpu_round.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <random>

#include "cli/diagnostics.hpp"
#include "runtime/error.hpp"
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

// The configuration to run this round (see gpu_round.hpp), tuning first when asked.
std::optional<Choice> choose(const GpuBench& bench, const OpConfig& config, const VariantSpec& variant,
                             Workload& workload, const WatchSettings& settings, VariantHistory& history,
                             std::ostream& out) {
  const auto live = enumerate(config, variant, workload.shape(), bench.gpu().limits(), nullptr);
  std::vector<std::string> ids;
  for (const auto& c : live) ids.push_back(c.id());
  const bool grid_changed = history.grid && *history.grid != ids;
  history.grid = ids;
  if (live.empty()) return std::nullopt;

  const auto detail = [](const TuneResult& r) {
    return std::string(to_string(r.source)) + (r.source_detail.empty() ? "" : " " + r.source_detail);
  };
  if (settings.retune || grid_changed) {
    out << variant.name << "  " << (grid_changed ? "grid changed" : "--retune") << ": tuning " << live.size()
        << " candidates (those with a record for this source are not timed again)\n";
    out.flush();
    TuneOptions options;
    options.jobs = settings.jobs;
    options.seed = settings.seed;
    const TuneResult r = bench.tuner().tune(config, variant, workload, options);
    if (r.best) history.tuned_choice = r.chosen;
    return Choice{r.chosen, detail(r)};
  }
  TuneOptions lookup;
  lookup.no_tune = true;
  lookup.progress = false;
  const TuneResult r = bench.tuner().tune(config, variant, workload, lookup);
  if (r.source == ChoiceSource::cache) {
    history.tuned_choice = r.chosen;
    return Choice{r.chosen, "tuning cache"};
  }
  if (history.tuned_choice) {
    const auto kept = std::find_if(live.begin(), live.end(),
                                   [&](const Candidate& c) { return c.id() == history.tuned_choice->id(); });
    if (kept != live.end()) return Choice{*kept, "last tuned choice; no record for this source yet"};
  }
  return Choice{r.chosen, detail(r)};
}

// Returns false when the result was wrong (the workload is then rebuilt next round).
bool run_variant(const GpuBench& bench, const OpConfig& config, const VariantSpec& variant, Workload& workload,
                 const WatchSettings& settings, VariantHistory& history, RoundOutcome& outcome, std::ostream& out) {
  const auto choice = choose(bench, config, variant, workload, settings, history, out);
  if (!choice) {
    out << variant.name << "  no configuration passes the constraints at " << workload.shape().to_string() << "\n";
    ++outcome.other_errors;
    return true;
  }
  const Candidate& chosen = choice->candidate;
  const std::string label = variant_label(variant.name, chosen.space_name);
  const std::string params = params_of(chosen.id());
  std::optional<BoundCandidate> bound;
  try {
    bound.emplace(bench.tuner().bind(config, variant, chosen, workload));
  } catch (const CompileError& e) {
    out << label << "  COMPILE ERROR (" << params << ", " << choice->source << ")\n";
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
    out << label << "  WRONG RESULT (" << params << ", " << choice->source << ")\n" << indented(check.describe()) << "\n";
    ++outcome.wrong;
    history.timed.reset();
    return false;
  }
  const auto& tm = config.timing;
  const Timing t = bench.gpu().timer().time([&](CUstream s) { bound->plan->launch(s); },
                                            {tm.warmup_ms, tm.rep_ms, tm.min_reps, tm.max_reps, tm.graph_below_us},
                                            bench.gpu().stream());
  const TimedRun now{chosen.id(), t.median_ms, t.spread_pct};
  out << label << "  " << time_change(history.timed, now) << "\n";
  std::string details = params + " (" + choice->source + ")";
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
  bench_.tuner().ensure_reference(config, *workload_);
  return *workload_;
}

void GpuRound::handle_fault(const std::string& what, RoundOutcome& outcome, std::ostream& out) {
  ++outcome.faults;
  out << "GPU FAULT: " << what << "\n";
  workload_.reset();  // every handle of the faulted context goes before it is reopened
  std::string why;
  if (bench_.reopen(&why)) {
    out << "the GPU context was reopened; watching on\n";
    return;
  }
  outcome.fatal = true;
  outcome.fatal_message = "the GPU did not recover after the fault (" + why + "); restart kpg watch";
}

void GpuRound::run(const OpConfig& config, const Shape& shape, const std::vector<const VariantSpec*>& variants,
                   const WatchSettings& settings, RoundHistory& history, RoundOutcome& outcome, std::ostream& out) {
  bool keep_workload = true;
  try {
    Workload& workload = workload_for(config, shape, settings);
    for (const VariantSpec* variant : variants) {
      if (settings.stop_requested && settings.stop_requested()) break;
      try {
        keep_workload &= run_variant(bench_, config, *variant, workload, settings, history[variant->name], outcome, out);
      } catch (const Error& e) {
        if (!bench_.healthy()) throw;  // a fault: the context and the workload must go
        out << variant->name << "  error: " << e.what() << "\n";
        ++(dynamic_cast<const InputError*>(&e) ? outcome.input_errors : outcome.other_errors);
      }
      out.flush();
    }
  } catch (const CompileError& e) {  // the reference variant's default does not compile
    out << "reference variant " << config.reference.variant << "  COMPILE ERROR\n";
    print_compile_error(out, e);
    ++outcome.compile_errors;
  } catch (const Error& e) {
    std::string why;
    if (!bench_.healthy(&why)) {
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
