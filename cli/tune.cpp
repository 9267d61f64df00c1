// kpg tune: tune every variant of an op at its default shapes (or --shape ones), print
// the progress and a ranked table, and record everything in the tuning cache.

#include <fmt/format.h>

#include <cstdio>
#include <iostream>
#include <memory>

#include "cli/command.hpp"
#include "cli/op_session.hpp"
#include "tutorials/report/table.hpp"

namespace kpg {
namespace {

struct TuneArgs {
  std::string op;
  OpSelection selection;
  bool force = false;
  bool no_tune = false;
  size_t budget = 0;
  unsigned jobs = 0;
  size_t top = 10;
};

void print_ranking(const TuneResult& r, const Workload& workload, size_t top) {
  std::vector<const TuneRecord*> ok;
  std::vector<const TuneRecord*> failed;
  for (const auto& rec : r.records) (rec.ok ? ok : failed).push_back(&rec);
  std::sort(ok.begin(), ok.end(), [](auto* a, auto* b) { return a->median_ms < b->median_ms; });
  const double slowest = ok.empty() ? 0 : ok.back()->median_ms;
  report::Table t{fmt::format("{}/{} at {}", r.op, r.variant, r.shape.to_string()),
                  {"rank", "config", "median ms", "min ms", "spread %", "GB/s", "vs slowest", "vs default"},
                  {}, {}};
  for (size_t i = 0; i < ok.size() && i < top; ++i) {
    const auto& rec = *ok[i];
    const double gbs = static_cast<double>(workload.min_bytes()) / (rec.median_ms * 1e6);
    const std::string vs_default =
        r.default_record && r.default_record->ok ? fmt::format("{:.2f}x", r.default_record->median_ms / rec.median_ms)
                                                 : "-";
    t.rows.push_back({std::to_string(i + 1), rec.candidate_id, fmt::format("{:.4f}", rec.median_ms),
                      fmt::format("{:.4f}", rec.min_ms), fmt::format("{:.1f}", rec.spread_pct),
                      fmt::format("{:.0f}", gbs), fmt::format("{:.2f}x", slowest / rec.median_ms), vs_default});
  }
  if (ok.size() > top) t.notes.push_back(fmt::format("{} more candidates not shown (--top)", ok.size() - top));
  std::map<std::string, size_t> reasons;
  for (const auto* rec : failed) reasons[rec->failure.substr(0, rec->failure.find(':'))]++;
  for (const auto& [why, n] : reasons) t.notes.push_back(fmt::format("{} candidates failed: {}", n, why));
  std::cout << report::render_text(t);
  for (const auto* rec : failed)
    if (rec->failure.rfind("wrong result", 0) == 0 || rec->failure.rfind("fault", 0) == 0)
      std::cout << "  failed " << rec->candidate_id << ": " << rec->failure << "\n";
}

void print_summary(const TuneResult& r) {
  std::string pruned;
  for (const auto& [why, n] : r.pruned.by_reason) pruned += fmt::format("; {} pruned: {}", n, why);
  std::cout << fmt::format("{}/{} at {}: {} candidates of {}{}\n", r.op, r.variant, r.shape.to_string(),
                           r.candidates, r.pruned.total, pruned);
  if (r.timed + r.failed == 0) {
    std::cout << "  all candidates were in the tuning cache: no compile, no timing\n";
  } else {
    std::cout << fmt::format("  {} compiled ({} cubin-cache hits, {:.1f} s of compile time over all threads), "
                             "{} timed, {} failed, {:.1f} s wall\n",
                             r.compiled, r.compile_cache_hits, r.compile_ms_total / 1000, r.timed, r.failed,
                             r.wall_ms / 1000);
  }
  std::cout << fmt::format("  chosen: {} ({}{})\n", r.chosen.id(), to_string(r.source),
                           r.source_detail.empty() ? "" : ": " + r.source_detail);
}

int run_tune(const CliContext& ctx, const TuneArgs& args) {
  OpSession session(ctx, args.op);
  TuneOptions options;
  options.force = args.force;
  options.no_tune = args.no_tune;
  if (args.budget) options.budget = args.budget;
  options.jobs = args.jobs;
  options.seed = args.selection.seed;
  bool all_found = true;
  for (const auto& shape : session.shapes(args.selection)) {
    Workload workload(session.config(), shape, session.gpu().limits());
    workload.randomize(args.selection.seed ? args.selection.seed : std::random_device{}());
    session.tuner().ensure_reference(session.config(), workload);
    for (const VariantSpec* variant : session.variants(args.selection)) {
      const TuneResult r = session.tuner().tune(session.config(), *variant, workload, options);
      print_summary(r);
      if (!r.records.empty()) print_ranking(r, workload, args.top);
      all_found = all_found && (r.best.has_value() || args.no_tune);
      std::cout << "\n";
    }
  }
  return all_found ? kExitOk : kExitRuntimeError;
}

}  // namespace

void add_tune_command(CLI::App& app, CliContext& ctx) {
  auto args = std::make_shared<TuneArgs>();
  auto* cmd = app.add_subcommand("tune", "Tune an op over its grid at each shape; results go to the tuning cache");
  cmd->add_option("op", args->op, "Op name (configs/<op>.yaml) or a path to a .yaml file")->required();
  add_selection_options(cmd, args->selection);
  cmd->add_flag("--force", args->force, "Re-time candidates that already have cache records");
  cmd->add_flag("--no-tune", args->no_tune, "Time nothing: use the cache, the nearest tuned shape or the default");
  cmd->add_option("--budget", args->budget, "Time at most N candidates (guided search for large grids)");
  cmd->add_option("-j,--jobs", args->jobs, "Compile threads (default: every core)");
  cmd->add_option("--top", args->top, "Rows of the ranked table")->capture_default_str();
  cmd->callback([&ctx, args] { ctx.action = [&ctx, args] { return run_tune(ctx, *args); }; });
}

}  // namespace kpg
