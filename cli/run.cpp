// kpg run: run an op once per shape and variant with its chosen configuration (the
// tuning cache's best, the nearest tuned shape's, the default, or --params), check it
// against the reference and time it. Also the way to reproduce a failed candidate.

#include <fmt/format.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <optional>
#include <random>
#include <sstream>

#include "cli/command.hpp"
#include "cli/op_session.hpp"
#include "runtime/error.hpp"
#include "tutorials/report/table.hpp"

namespace kpg {
namespace {

struct RunArgs {
  std::string op;
  OpSelection selection;
  std::string params;  // "K=V,K=V"
  std::string space;
  std::string save_io;
  bool check_only = false;   // verify, do not time (e.g. under compute-sanitizer)
  bool all_spaces = false;   // each space's default configuration, not the chosen one
};

ParamSet parse_params(const std::string& text) {
  ParamSet p;
  std::istringstream in(text);
  for (std::string item; std::getline(in, item, ',');) {
    const auto eq = item.find('=');
    if (eq == std::string::npos) throw InputError("--params '" + item + "': expected NAME=INTEGER");
    try {
      p[item.substr(0, eq)] = std::stoll(item.substr(eq + 1));
    } catch (const std::exception&) {
      throw InputError("--params '" + item + "': value is not an integer");
    }
  }
  return p;
}

// The candidate named by --params (and --space when the variant has several spaces);
// params not given take the space's default.
Candidate explicit_candidate(const VariantSpec& v, const std::string& space_name, const ParamSet& given) {
  for (size_t i = 0; i < v.spaces.size(); ++i) {
    const SpaceSpec& s = v.spaces[i];
    if (!space_name.empty() && s.name != space_name) continue;
    Candidate c{v.name, i, s.name, s.defaults, false};
    bool fits = true;
    for (const auto& [k, val] : given) {
      const bool known = std::any_of(s.params.begin(), s.params.end(), [&](const auto& p) { return p.first == k; });
      fits = fits && known;
      c.params[k] = val;
    }
    if (fits) return c;
  }
  throw InputError("variant '" + v.name + "': no space " + (space_name.empty() ? "" : "'" + space_name + "' ") +
                   "has all of the params given with --params");
}

int run_op(const CliContext& ctx, const RunArgs& args) {
  OpSession session(ctx, args.op);
  const ParamSet given = parse_params(args.params);
  report::Table t{session.config().op + " (" + session.gpu().props().name + ")",
                  {"shape", "variant", "config", "chosen from", "check", "median ms", "GB/s"}, {}, {}};
  bool ok = true;
  std::optional<double> first_launch_ms;  // process start to the first launch of the op
  for (const auto& shape : session.shapes(args.selection)) {
    Workload workload(session.config(), shape, session.gpu().limits());
    workload.randomize(args.selection.seed ? args.selection.seed : std::random_device{}());
    session.tuner().ensure_reference(session.config(), workload);
    for (const VariantSpec* variant : session.variants(args.selection)) {
      std::vector<std::pair<Candidate, std::string>> runs;  // configuration, where it came from
      if (args.all_spaces) {
        // Per space: its default where the constraints allow it at this shape, else its first valid configuration.
        const auto valid = enumerate(session.config(), *variant, shape, session.gpu().limits(), nullptr);
        for (size_t space = 0; space < variant->spaces.size(); ++space) {
          const Candidate* pick = nullptr;
          for (const auto& c : valid)
            if (c.space_index == space && (!pick || c.params == variant->spaces[space].defaults)) pick = &c;
          if (pick) runs.emplace_back(*pick, pick->params == variant->spaces[space].defaults ? "space default" : "space, first valid");
        }
      } else if (!args.params.empty() || !args.space.empty()) {
        runs.emplace_back(explicit_candidate(*variant, args.space, given), "--params");
      } else {
        TuneOptions no_tune;
        no_tune.no_tune = true;
        const auto r = session.tuner().tune(session.config(), *variant, workload, no_tune);
        runs.emplace_back(r.chosen, std::string(to_string(r.source)) + (r.source_detail.empty() ? "" : " " + r.source_detail));
      }
      for (const auto& [chosen, source] : runs) {
        const auto bound = session.tuner().bind(session.config(), *variant, chosen, workload);
        if (!first_launch_ms)
          first_launch_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - ctx.started).count();
        const CheckReport check = session.tuner().verify(bound, workload);
        std::string median = "-", gbs = "-";
        if (check.ok && !args.check_only) {
          const auto& tm = session.config().timing;
          const Timing timing = session.gpu().timer().time([&](CUstream s) { bound.plan->launch(s); },
                                                           {tm.warmup_ms, tm.rep_ms, tm.min_reps, tm.max_reps,
                                                            tm.graph_below_us},
                                                           session.gpu().stream());
          median = fmt::format("{:.4f}", timing.median_ms);
          gbs = fmt::format("{:.0f}", static_cast<double>(workload.min_bytes()) / (timing.median_ms * 1e6));
        } else if (!check.ok) {
          ok = false;
          std::cout << variant->name << " " << chosen.id() << " at " << shape.to_string()
                    << ": WRONG: " << check.describe() << "\n";
        }
        t.rows.push_back({shape.to_string(), variant->name, chosen.id(), source, check.ok ? "ok" : "WRONG", median, gbs});
        if (!args.save_io.empty()) {
          const auto dir = std::filesystem::path(args.save_io) / (variant->name + "-" + shape.to_string());
          workload.save_io(dir);
          std::cout << "inputs and outputs saved as .npy in " << dir.string() << "\n";
        }
      }
    }
  }
  if (first_launch_ms)
    t.notes.push_back(fmt::format("first launch {:.0f} ms after the process started (config, inputs and reference, "
                                  "tuning-cache lookup, cubin cache, module load)",
                                  *first_launch_ms));
  std::cout << report::render_text(t);
  return ok ? kExitOk : kExitRuntimeError;
}

}  // namespace

void add_run_command(CLI::App& app, CliContext& ctx) {
  auto args = std::make_shared<RunArgs>();
  auto* cmd = app.add_subcommand("run", "Run an op with its chosen configuration: check and time it");
  cmd->add_option("op", args->op, "Op name (configs/<op>.yaml) or a path to a .yaml file")->required();
  add_selection_options(cmd, args->selection);
  cmd->add_option("--params", args->params, "Run this configuration, e.g. VEC=4,WARPS=2 (others: the default)");
  cmd->add_option("--space", args->space, "With --params: the space (implementation) to run");
  cmd->add_option("--save-io", args->save_io, "Write inputs, outputs and reference as .npy files here");
  cmd->add_flag("--check-only", args->check_only, "Check against the reference, do not time (e.g. under compute-sanitizer)");
  cmd->add_flag("--all-spaces", args->all_spaces, "Run the default configuration of every space of each variant");
  cmd->callback([&ctx, args] { ctx.action = [&ctx, args] { return run_op(ctx, *args); }; });
}

}  // namespace kpg
