// kpg tune: tune every variant of an op at its default shapes (or --shape ones), print
// the progress and a ranked table, and record everything in the tuning cache. --html FILE
// also writes the tables and, per variant and shape, a heat map of the tuning landscape.

#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "cli/core/command.hpp"
#include "cli/core/flag_checks.hpp"
#include "cli/mpi/communicator.hpp"
#include "cli/core/op_session.hpp"
#include "cli/core/run_supervisor.hpp"
#include "cli/core/shared_flags.hpp"
#include "cli/tune_args.hpp"
#include "report/html_report.hpp"
#include "report/run_description.hpp"
#include "report/svg_chart.hpp"
#include "report/table.hpp"
#include "report/tuning_heat_map.hpp"
#include "runtime/output_file.hpp"

namespace kpg {
namespace {

report::Table ranking_table(const TuneResult& r, const Workload& workload, size_t top, const std::string& op_arg) {
  std::vector<const TuneRecord*> ok;
  std::vector<const TuneRecord*> failed;
  for (const auto& rec : r.records) (rec.ok ? ok : failed).push_back(&rec);
  std::sort(ok.begin(), ok.end(), [](auto* a, auto* b) { return a->median_ms < b->median_ms; });
  const double slowest = ok.empty() ? 0 : ok.back()->median_ms;
  // Ops that declare their arithmetic (`flops:`) are also measured in TFLOP/s.
  const auto& flops_expr = workload.config().flops;
  const double flops = flops_expr ? flops_expr->eval(workload.scope()) : 0;
  std::vector<std::string> columns{"rank", "config", "median ms", "min ms", "spread %", "GB/s"};
  if (flops > 0) columns.push_back("TFLOP/s");
  columns.insert(columns.end(), {"vs slowest", "vs default"});
  report::Table t{fmt::format("{}/{} at {}", r.op, r.variant, r.shape.to_string()), columns, {}, {}};
  for (size_t i = 0; i < ok.size() && i < top; ++i) {
    const auto& rec = *ok[i];
    const double gbs = static_cast<double>(workload.min_bytes()) / (rec.median_ms * 1e6);
    const std::string vs_default =
        r.default_record && r.default_record->ok ? fmt::format("{:.2f}x", r.default_record->median_ms / rec.median_ms)
                                                 : "-";
    std::vector<std::string> row{std::to_string(i + 1), rec.candidate_id, fmt::format("{:.4f}", rec.median_ms),
                                 fmt::format("{:.4f}", rec.min_ms), fmt::format("{:.1f}", rec.spread_pct),
                                 fmt::format("{:.0f}", gbs)};
    if (flops > 0) row.push_back(fmt::format("{:.1f}", flops / (rec.median_ms * 1e9)));
    row.insert(row.end(), {fmt::format("{:.2f}x", slowest / rec.median_ms), vs_default});
    t.rows.push_back(std::move(row));
  }
  if (ok.size() > top) t.notes.push_back(fmt::format("{} more candidates not shown (--top)", ok.size() - top));
  std::map<std::string, size_t> reasons;
  for (const auto* rec : failed) reasons[rec->failure.substr(0, rec->failure.find(':'))]++;
  for (const auto& [why, n] : reasons) t.notes.push_back(fmt::format("{} candidates failed: {}", n, why));
  for (const auto* rec : failed)
    for (const char* kind : {"wrong result", "fault", "hang", "crash"})
      if (rec->failure.rfind(kind, 0) == 0)
        t.notes.push_back("failed " + rec->candidate_id + ": " + rec->failure +
                          "\n    reproduce: " + reproduce_command("kpg run " + op_arg, r.shape.to_string(), *rec));
  return t;
}

// What was tuned, pruned (a line per reason), compiled and chosen.
std::string summary(const TuneResult& r) {
  std::string out = fmt::format("{}/{} at {}: {} candidates of {}\n", r.op, r.variant, r.shape.to_string(),
                                r.candidates, r.pruned.total);
  for (const auto& [why, n] : r.pruned.by_reason) out += fmt::format("  {} pruned: {}\n", n, why);
  if (r.timed + r.failed == 0) {
    // Worker processes report their own counts (workers_line); the cache line is for a
    // choice nothing was timed for.
    if (r.source != ChoiceSource::tuned_now) out += "  all candidates were in the tuning cache: no compile, no timing\n";
  } else {
    out += fmt::format("  {} compiled ({} cubin-cache hits, {:.1f} s of compile time over all threads), "
                       "{} timed, {} failed, {:.1f} s wall\n",
                       r.compiled, r.compile_cache_hits, r.compile_ms_total / 1000, r.timed, r.failed,
                       r.wall_ms / 1000);
  }
  return out + fmt::format("  chosen: {} ({}{})\n", r.chosen.id(), to_string(r.source),
                           r.source_detail.empty() ? "" : ": " + r.source_detail);
}

// The report section of one variant at one shape: summary, ranked table, heat map.
report::HtmlSection html_section(const VariantSpec& variant, const TuneResult& r, const report::Table* ranking) {
  std::string text = summary(r);  // one paragraph a line
  for (size_t at = text.find('\n'); at != std::string::npos; at = text.find('\n', at + 2)) text.insert(at, "\n");
  report::HtmlSection s{fmt::format("{}/{} at {}", r.op, r.variant, r.shape.to_string()), text, {}, {}, ""};
  if (ranking) s.tables.push_back(*ranking);
  if (const auto map = report::tuning_heat_map(variant, r)) s.svgs.push_back(report::render_svg(*map));
  return s;
}

// Every flag that can be checked without a GPU, before one opens: bad input is exit 2 with
// its reason on any machine, not "no CUDA driver".
void check_flags(const OpSession& session, const TuneArgs& args) {
  session.shapes(args.selection);
  session.variants(args.selection);
  check_devices_flag(args.devices);
  if (!args.html.empty()) check_output_file(args.html, /*create_folders=*/true);
}

WorkerTally tally_of(const WorkersReport& w, const CacheKey& key) {
  const auto it = w.by_key.find(key.file_stem());
  return it == w.by_key.end() ? WorkerTally{} : it->second;
}

// What the workers did for this key, in place of the in-process counts.
std::string workers_line(const WorkersReport& w, const TuneResult& r) {
  const WorkerTally tally = tally_of(w, r.key);
  return fmt::format("  {} timed, {} failed now, in {} {}\n", tally.timed, tally.failed, w.workers, w.unit);
}

int run_tune(const CliContext& ctx, const TuneArgs& args) {
  if (args.worker_fd >= 0) return run_tune_worker(ctx, args);
  if (launcher_world_size() > 1) return run_tune_ranks(ctx, args);
  OpSession session(ctx, args.op);
  check_flags(session, args);
  // Candidates are timed in worker processes unless told otherwise: a fault or a hang then
  // costs one worker restart, not the run (tuner/worker_supervisor.hpp).
  const bool isolate = !args.in_process && !args.no_tune;
  const auto groups = isolate ? device_groups(args.devices) : std::vector<std::vector<int>>{{0}};
  int status = kExitOk;  // the worst of every shape's (print_rankings)
  std::vector<report::HtmlSection> sections;
  for (const auto& group : groups) {
    std::unique_ptr<Gpu> other_gpu;
    if (group.front() != 0) other_gpu = std::make_unique<Gpu>(group.front());
    const Gpu& gpu = other_gpu ? *other_gpu : session.gpu();
    const Tuner tuner(gpu, session.compiler(), session.tuning_cache(), session.kernels_dir());
    double workers_wall_ms = 0;
    size_t workers_restarts = 0;
    if (!args.html.empty())
      sections.push_back({"Run", describe_run(gpu) + "\n\nConfig: " + session.config().file.string(), {}, {}, ""});
    for (const auto& shape : session.shapes(args.selection)) {
      // The workers take one shape at a time, so that each shape's ranking is printed as
      // soon as it is timed: a run stopped from outside keeps what it has shown.
      std::optional<WorkersReport> workers;
      if (isolate) {
        TuneArgs one_shape = args;
        one_shape.selection.shapes = {shape.to_string()};
        workers = time_in_workers(ctx, one_shape, session, tuner, WorkerPlan{group});
        workers_wall_ms += workers->wall_ms;
        workers_restarts += workers->restarts;
      }
      status = std::max(status, print_rankings(args, session, tuner, shape, workers ? &*workers : nullptr, std::cout,
                                               args.html.empty() ? nullptr : &sections));
    }
    if (isolate)
      std::cout << fmt::format("timing took {:.1f} s wall on {} GPU(s) ({}), {} worker restart(s)\n\n",
                               workers_wall_ms / 1000, group.size(), gpu.props().name, workers_restarts);
  }
  if (!args.html.empty()) write_html(args.html, "kpg tune " + session.config().op, sections);
  return status;
}

}  // namespace

int print_rankings(const TuneArgs& args, const OpSession& session, const Tuner& tuner, const Shape& shape,
                   const WorkersReport* workers, std::ostream& out, std::vector<report::HtmlSection>* sections) {
  TuneOptions options;
  options.force = args.force && !workers;
  options.no_tune = args.no_tune;
  if (args.budget) options.budget = args.budget;
  options.jobs = args.jobs;
  options.seed = args.selection.seed;
  Workload workload(session.config(), shape, tuner.gpu().limits());
  const uint64_t seed = args.selection.seed ? args.selection.seed : std::random_device{}();
  bool filled = false;
  // After the workers, this process verifies nothing: it only re-times ties worth
  // re-measuring (if any), which needs inputs but no reference. They are made then, not
  // for every shape.
  const auto fill_inputs = [&](Workload& w) {
    if (!std::exchange(filled, true)) w.randomize(seed);
  };
  if (workers) {
    options.prepare = fill_inputs;
  } else {
    fill_inputs(workload);
    tuner.ensure_reference(session.config(), workload);
  }
  int status = kExitOk;
  for (const VariantSpec* variant : session.variants(args.selection)) {
    // Tuned now only where the workers timed something; else the choice is the cache's.
    if (workers) {
      const WorkerTally t = tally_of(*workers, tuner.cache_key(session.config(), *variant, shape));
      options.timed_elsewhere = t.timed + t.failed > 0;
      // Where a shard was lost (MPI), what is left untimed waits for a rerun: never here.
      options.no_tune = args.no_tune || (workers->shards_lost && !options.timed_elsewhere);
    }
    const TuneResult r = tuner.tune(session.config(), *variant, workload, options);
    if (r.candidates == 0) {  // the shape is outside what the variant's constraints allow
      out << fmt::format("{}/{} at {}: no configuration passes the constraints: {}\n\n", r.op, r.variant,
                         r.shape.to_string(), describe_pruning(r.pruned))
          << std::flush;
      status = kExitBadInput;
      continue;
    }
    out << summary(r) << (workers ? workers_line(*workers, r) : "");
    std::optional<report::Table> ranking;
    if (!r.records.empty()) {
      ranking = ranking_table(r, workload, args.top, args.op);
      out << report::render_text(*ranking);
    }
    if (sections) sections->push_back(html_section(*variant, r, ranking ? &*ranking : nullptr));
    if (!r.best && !args.no_tune) status = std::max(status, kExitRuntimeError);
    out << "\n" << std::flush;
  }
  return status;
}

void write_html(const std::string& file, const std::string& title, const std::vector<report::HtmlSection>& sections) {
  const std::filesystem::path path(file);
  if (path.has_parent_path()) make_output_dir(path.parent_path());
  write_output_file(path, report::render_html(title, sections));
  std::cout << "report written to " << path.string() << "\n";
}

void add_tune_command(CLI::App& app, CliContext& ctx) {
  auto args = std::make_shared<TuneArgs>();
  auto* cmd = app.add_subcommand("tune", "Tune an op over its grid at each shape; results go to the tuning cache");
  cmd->add_option("op", args->op, "Op name (configs/<op>.yaml) or a path to a .yaml file")->required();
  add_selection_options(cmd, args->selection);
  add_tuning_flags(cmd, args->force, args->no_tune, args->budget);
  cmd->add_option("-j,--jobs", args->jobs, "Compile threads (default: every core)")->check(whole_number(1024));
  cmd->add_option("--top", args->top, "Rows of the ranked table")->capture_default_str()->check(whole_number());
  cmd->add_option("--html", args->html,
                  "Also write an HTML report to FILE: ranked tables and, per variant and shape, a heat map of median "
                  "time over the first two params of the first space")
      ->option_text("FILE");
  cmd->add_option("--devices", args->devices,
                  "GPUs that time candidates, one worker process each: 'all' or ordinals '0,1'. Identical cards "
                  "share one ranking; different cards are tuned one after the other, each for itself")
      ->capture_default_str();
  add_worker_flags(cmd, args->in_process, args->watchdog_s, args->worker_fd,
                   "Time candidates in this process (no worker): faster to start, but a GPU fault ends the run",
                   "a candidate");
  // More of the worker side, set by the supervising `kpg tune` only.
  cmd->add_option("--device", args->device)->group("");
  cmd->add_option("--retime-before", args->retime_before)->group("");
  cmd->add_option("--shard", args->shard)->group("");  // "INDEX/COUNT"
  cmd->add_option("--tuning-cache", args->tuning_cache)->group("");
  cmd->callback([&ctx, args] { ctx.action = [&ctx, args] { return run_tune(ctx, *args); }; });
}

}  // namespace kpg
