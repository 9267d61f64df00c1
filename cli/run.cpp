// kpg run: run an op once per shape and variant with its chosen configuration (the
// tuning cache's best, the nearest tuned shape's, the default, --params or each space's
// default), check it against the reference and time it. Also the way to reproduce a
// failed candidate. The configuration is chosen, and its kernels launched, by the library
// (kpg::Operation, kpg::Launcher), as in an application; the inputs, the float64 reference
// and the check are kpg's own (tuner/workload.hpp).
//
// The units (one configuration of one variant at one shape) run in a worker process, so
// that a GPU fault or an endless kernel costs one unit, not the run (cli/core/run_supervisor.hpp);
// --in-process runs them here, as a debugger wants.

#include <fmt/format.h>
#include <signal.h>
#include <sys/prctl.h>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <sstream>

#include "cli/core/command.hpp"
#include "cli/core/flag_checks.hpp"
#include "cli/core/op_session.hpp"
#include "cli/core/run_supervisor.hpp"
#include "cli/core/shared_flags.hpp"
#include "kpg/operation.hpp"
#include "lib/front_door.hpp"
#include "lib/problem.hpp"
#include "runtime/error.hpp"
#include "runtime/output_file.hpp"
#include "report/table.hpp"

namespace kpg {
namespace {

struct RunArgs {
  std::string op;
  OpSelection selection;
  std::vector<std::string> params;  // each "K=V,K=V": one configuration
  std::string space;
  std::string save_io;
  bool check_only = false;   // verify, do not time (e.g. under compute-sanitizer)
  bool all_spaces = false;   // each space's default configuration, not the chosen one
  bool in_process = false;   // no worker: a fault ends the run, a hang hangs it
  double watchdog_s = 30;    // a unit running longer is a hang
  // Set only on worker processes (the supervising kpg run passes them).
  int worker_fd = -1;
  size_t resume_from = 0;  // skip the units before this one (they ran in an earlier worker)
};

// "VEC=4,WARPS=2": every piece NAME=INTEGER, each name once. The error names the piece.
ParamSet parse_params(const std::string& text) {
  // "--params 'A=1,B': at 'B': ..." (the piece is named when it is not the whole value)
  const auto fail = [&](const std::string& item, const std::string& why) {
    return InputError("--params '" + text + "'" + (item == text ? "" : " at '" + item + "'") + ": " + why);
  };
  if (text.empty()) throw fail(text, "empty (expected NAME=INTEGER,NAME=INTEGER,...)");
  ParamSet p;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t end = std::min(text.find(',', start), text.size());
    const std::string item = text.substr(start, end - start);
    start = end + 1;
    if (item.empty()) throw fail(item, "an empty entry (expected NAME=INTEGER,NAME=INTEGER,...)");
    const size_t eq = item.find('=');
    if (eq == std::string::npos) throw fail(item, "expected NAME=INTEGER");
    const std::string name = item.substr(0, eq), value = item.substr(eq + 1);
    if (name.empty()) throw fail(item, "the name before '=' is missing");
    int64_t v = 0;
    const auto [stop, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
    if (value.empty() || ec != std::errc() || stop != value.data() + value.size())
      throw fail(item, "'" + value + "' is not an integer");
    if (!p.emplace(name, v).second) throw fail(item, name + " is given twice");
  }
  return p;
}

// The candidate named by --params (and --space when the variant has several spaces);
// params not given take the space's default.
Candidate explicit_candidate(const VariantSpec& v, const std::string& space_name, const ParamSet& given) {
  std::string spaces;  // what each space takes, for the error
  for (size_t i = 0; i < v.spaces.size(); ++i) {
    const SpaceSpec& s = v.spaces[i];
    std::string names;
    for (const auto& [name, values] : s.params) names += (names.empty() ? "" : ", ") + name;
    spaces += (spaces.empty() ? "" : "; ") + ("space '" + s.name + "': " + (names.empty() ? "no params" : names));
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
  const bool space_known = space_name.empty() || std::any_of(v.spaces.begin(), v.spaces.end(),
                                                             [&](const SpaceSpec& s) { return s.name == space_name; });
  if (!space_known) throw InputError("--space '" + space_name + "': variant '" + v.name + "' has no such space (" + spaces + ")");
  std::string given_names;
  for (const auto& [k, val] : given) given_names += (given_names.empty() ? "" : ", ") + k;
  throw InputError("--params " + given_names + ": no space " + (space_name.empty() ? "" : "'" + space_name + "' ") +
                   "of variant '" + v.name + "' has all of them (" + spaces + ")");
}

// The variants --variant names, else every variant; without --variant, --space and
// --params pick the variants that have such a space (`--space block_per_row` means the
// fused softmax, not an error about the unfused one).
std::vector<const VariantSpec*> variants_to_run(const OpSession& session, const RunArgs& args) {
  auto variants = session.variants(args.selection);
  if (!args.selection.variants.empty() || (args.space.empty() && args.params.empty()) || args.all_spaces)
    return variants;
  const auto check = [&](const VariantSpec* v) {  // throws InputError saying what v lacks
    for (const auto& text : args.params) explicit_candidate(*v, args.space, parse_params(text));
    if (args.params.empty()) explicit_candidate(*v, args.space, {});
  };
  std::vector<const VariantSpec*> out;
  for (const VariantSpec* v : variants) {
    try {
      check(v);
      out.push_back(v);
    } catch (const InputError&) {
    }
  }
  if (out.empty() && !variants.empty()) check(variants.front());  // its error says what is missing
  return out;
}

// One configuration of one variant to run at one shape.
struct PlannedRun {
  std::string config_id;  // what Operation::prepare is given; empty: the Operation's own choice
  std::string id;         // the configuration's id
  ParamSet params;
  std::string source;     // the "chosen from" column
};

// The configurations of one variant to run at one shape, and where each came from: the
// library's choice (Operation::config: tuning cache, nearest tuned shape or default), or
// the one --params, --space or --all-spaces names.
std::vector<PlannedRun> plan(const OpSession& session, const RunArgs& args, const VariantSpec& variant,
                             Operation& operation, const Shape& shape) {
  std::vector<PlannedRun> runs;
  const auto given = [&](const Candidate& c, std::string source) {
    runs.push_back({c.id(), c.id(), c.params, std::move(source)});
  };
  if (args.all_spaces) {
    // Per space: its default where the constraints allow it at this shape, else its first valid configuration.
    const auto valid = enumerate(session.config(), variant, shape, session.gpu().limits(), nullptr);
    for (size_t space = 0; space < variant.spaces.size(); ++space) {
      const Candidate* pick = nullptr;
      for (const auto& c : valid)
        if (c.space_index == space && (!pick || c.params == variant.spaces[space].defaults)) pick = &c;
      if (pick) given(*pick, pick->params == variant.spaces[space].defaults ? "space default" : "space, first valid");
    }
  } else if (!args.params.empty()) {
    for (const auto& text : args.params) given(explicit_candidate(variant, args.space, parse_params(text)), "--params");
  } else if (!args.space.empty()) {
    given(explicit_candidate(variant, args.space, {}), "--space");
  } else {
    const ConfigChoice choice = with_internal_errors([&] { return operation.config(to_problem(shape)); });
    runs.push_back({"", choice.id, choice.params,
                    std::string(to_string(choice.source)) + (choice.detail.empty() ? "" : " " + choice.detail)});
  }
  return runs;
}

// The variant's Operation, opened as the library opens it for an application, on the
// command's kernels, configs and caches and the YAML it was given.
Operation open_operation(const CliContext& ctx, const RunArgs& args, const VariantSpec& variant) {
  OperationOptions options;
  options.variant = variant.name;
  options.kernels_dir = ctx.kernels_dir().string();
  options.configs_dir = ctx.configs_dir().string();
  options.cache_dir = ctx.cache_dir().string();
  return with_internal_errors([&] { return Operation::open(args.op, options); });
}

// Every flag that can be checked without a GPU, before one opens (and before a worker
// starts): bad input is exit 2 with its reason on any machine.
void check_flags(const OpSession& session, const RunArgs& args) {
  if (args.all_spaces && (!args.params.empty() || !args.space.empty()))
    throw InputError("--all-spaces runs each space's default configuration: give it without --params and --space");
  session.shapes(args.selection);
  for (const VariantSpec* v : variants_to_run(session, args)) {
    for (const auto& text : args.params) explicit_candidate(*v, args.space, parse_params(text));
    if (args.params.empty() && !args.space.empty()) explicit_candidate(*v, args.space, {});
  }
  if (!args.save_io.empty()) check_output_dir(args.save_io);
}

// Runs the units from `args.resume_from` on, in order: `report` gets each with kind
// "start" just before its kernel runs and "result" once it is checked (and timed). Each
// unit's kernels launch through the library (a Launcher of the variant's Operation) on the
// shape's Workload. A CUDA error is the unit's result "fault: ..." and is thrown on as
// CandidateFault: the context is lost.
void run_units(const CliContext& ctx, const OpSession& session, const RunArgs& args,
               const std::function<void(const std::string& kind, const RunUnit&)>& report,
               const std::function<void(const TuneEvent&)>& on_reference = {}) {
  const auto shapes = session.shapes(args.selection);
  const auto variants = variants_to_run(session, args);
  std::map<std::string, Operation> operations;  // by variant, opened on first use
  size_t index = 0;
  for (size_t si = 0; si < shapes.size(); ++si) {
    Workload workload(session.config(), shapes[si], session.gpu().limits());
    const Problem problem = to_problem(shapes[si]);
    bool prepared = false;  // inputs and reference, made for the first unit that runs at this shape
    for (size_t vi = 0; vi < variants.size(); ++vi) {
      const VariantSpec& variant = *variants[vi];
      auto op = operations.find(variant.name);
      if (op == operations.end()) op = operations.emplace(variant.name, open_operation(ctx, args, variant)).first;
      Operation& operation = op->second;
      const auto runs = plan(session, args, variant, operation, shapes[si]);
      for (size_t ri = 0; ri < runs.size(); ++ri, ++index) {
        if (index < args.resume_from) continue;
        if (!prepared) {
          workload.randomize(args.selection.seed ? args.selection.seed : std::random_device{}());
          session.tuner().ensure_reference(session.config(), workload, on_reference);
          prepared = true;
        }
        const PlannedRun& run = runs[ri];
        RunUnit unit;
        unit.index = index;
        unit.last = si + 1 == shapes.size() && vi + 1 == variants.size() && ri + 1 == runs.size();
        unit.op = session.config().op;
        unit.gpu = session.gpu().props().name;
        unit.shape = shapes[si].to_string();
        unit.source = run.source;
        unit.record.candidate_id = run.id;
        unit.record.params = run.params;
        unit.record.variant = variant.name;
        LaunchFn launch;
        try {  // compiles (through the cubin cache), loads and plans the configuration
          Launcher& launcher = with_internal_errors([&]() -> Launcher& { return operation.prepare(problem, run.config_id); });
          launch = workload_launch(launcher, workload);
        } catch (const CudaError&) {
          throw;
        } catch (const CompileError&) {
          throw;
        } catch (const InputError&) {
          throw;
        } catch (const Error& e) {  // e.g. more shared memory than the device has: the context is fine
          unit.record.ok = false;
          unit.record.failure = std::string("error: ") + e.what();
        }
        report("start", unit);
        try {
          if (launch) {
            const CheckReport check = session.tuner().verify(launch, workload);
            unit.record.ok = check.ok;
            if (!check.ok) {
              unit.record.failure = "wrong result: " + check.describe();
            } else if (!args.check_only) {
              const Timing t = session.gpu().timer().time(launch, session.config().timing, session.gpu().stream());
              unit.record.median_ms = t.median_ms;
              unit.record.min_ms = t.min_ms;
              unit.record.spread_pct = t.spread_pct;
              unit.record.reps = t.reps;
              unit.gbs = static_cast<double>(workload.min_bytes()) / (t.median_ms * 1e6);
            }
          }
        } catch (const CudaError& e) {
          unit.record.ok = false;
          unit.record.failure = std::string("fault: ") + e.what();
          report("result", unit);
          throw CandidateFault(variant.name + " " + run.id + " at " + unit.shape + " faulted on the GPU (" +
                               e.what() + ")");
        } catch (const InputError&) {
          throw;
        } catch (const Error& e) {  // e.g. a launch the device rejects: the context is fine
          unit.record.ok = false;
          unit.record.failure = std::string("error: ") + e.what();
        }
        report("result", unit);
        if (!args.save_io.empty()) {
          const auto dir = std::filesystem::path(args.save_io) / (variant.name + "-" + unit.shape);
          make_output_dir(dir);
          workload.save_io(dir);
          std::cout << "inputs and outputs saved as .npy in " << dir.string() << "\n";
        }
      }
    }
  }
}

// "kpg [--kernels-dir D] [--configs-dir D] run OP [--seed S]": what every reproduce command starts with.
std::string repro_prefix(const CliContext& ctx, const RunArgs& args) {
  std::string out = "kpg";
  if (!ctx.kernels_dir_flag.empty()) out += " --kernels-dir " + ctx.kernels_dir_flag;
  if (!ctx.configs_dir_flag.empty()) out += " --configs-dir " + ctx.configs_dir_flag;
  out += " run " + args.op;
  if (args.selection.seed) out += " --seed " + std::to_string(args.selection.seed);
  return out;
}

void print_results(const std::vector<RunUnit>& units, const std::string& title, const RunArgs& args,
                   std::vector<std::string> notes) {
  report::Table t{title, {"shape", "variant", "config", "chosen from", "check", "median ms", "GB/s"}, {}, std::move(notes)};
  for (const auto& u : units) {
    const bool timed = u.record.ok && !args.check_only;
    t.rows.push_back({u.shape, u.record.variant, u.record.candidate_id, u.source, verdict(u),
                      timed ? fmt::format("{:.4f}", u.record.median_ms) : "-",
                      timed ? fmt::format("{:.0f}", u.gbs) : "-"});
  }
  std::cout << report::render_text(t) << summary_line(units) << "\n";
}

std::string first_launch_note(double ms) {
  return fmt::format("first launch {:.0f} ms after the process started (config, inputs and reference, "
                     "tuning-cache lookup, cubin cache, module load)",
                     ms);
}

double ms_since(std::chrono::steady_clock::time_point t0, std::chrono::steady_clock::time_point t1) {
  return std::chrono::duration<double, std::milli>(t1 - t0).count();
}

// The body of a worker: run the units, each reported on the supervisor's pipe. After a
// fault the context is lost: the worker exits at once (the supervisor starts a fresh one).
int run_worker(const CliContext& ctx, const RunArgs& args) {
  // Killed with its parent: a hung kernel must not hold the GPU after the parent is gone.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  const OpSession session(ctx, args.op);
  check_flags(session, args);
  try {
    run_units(
        ctx, session, args, [&](const std::string& kind, const RunUnit& unit) { write_event(args.worker_fd, run_event(kind, unit)); },
        [&](const TuneEvent& e) {  // the reference kernel, under the same watchdog
          write_event(args.worker_fd,
                      {e.kind == TuneEvent::Kind::start ? "reference" : "reference-done", e.key, e.record, ""});
        });
  } catch (const CandidateFault&) {
    // Reported. Freeing buffers and modules would only log the same error again.
    std::cout.flush();
    std::fflush(nullptr);
    std::_Exit(kExitRuntimeError);
  }
  return kExitOk;
}

int run_in_process(const CliContext& ctx, const RunArgs& args) {
  const OpSession session(ctx, args.op);
  check_flags(session, args);
  const std::string repro = repro_prefix(ctx, args);
  std::vector<RunUnit> units;
  std::optional<double> first_launch_ms;  // process start to the first launch of the op
  std::vector<std::string> notes;
  try {
    run_units(ctx, session, args, [&](const std::string& kind, const RunUnit& unit) {
      if (kind == "start") {
        if (!first_launch_ms) first_launch_ms = ms_since(ctx.started, std::chrono::steady_clock::now());
        return;
      }
      if (!unit.record.ok) std::cout << failure_report(unit, repro) << std::flush;
      units.push_back(unit);
    });
  } catch (const CandidateFault&) {
    notes.push_back("the run stopped at the fault: CUDA keeps the context broken for the life of the process "
                    "(without --in-process, kpg run goes on in a fresh process)");
  }
  if (first_launch_ms) notes.insert(notes.begin(), first_launch_note(*first_launch_ms));
  print_results(units, session.config().op + " (" + session.gpu().props().name + ")", args, notes);
  RunOutcome outcome;
  outcome.units = std::move(units);
  return run_exit_code(outcome);
}

// This process's command line, argv[0] made absolute: what a worker is started with.
std::vector<std::string> own_command_line() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::vector<std::string> argv;
  for (std::string arg; std::getline(in, arg, '\0');) argv.push_back(arg);
  if (argv.empty()) throw Error("kpg run: cannot read /proc/self/cmdline to start a worker (try --in-process)");
  argv[0] = std::filesystem::read_symlink("/proc/self/exe").string();
  return argv;
}

int run_op(const CliContext& ctx, const RunArgs& args) {
  if (args.worker_fd >= 0) return run_worker(ctx, args);
  if (args.in_process) return run_in_process(ctx, args);
  check_flags(OpSession(ctx, args.op), args);  // bad input: exit 2 before a worker (and a GPU) starts

  RunSupervision supervision;
  supervision.worker_argv = own_command_line();
  supervision.worker_argv.insert(supervision.worker_argv.end(), {"--worker-fd", std::to_string(kWorkerEventFd)});
  supervision.watchdog = std::chrono::duration<double>(args.watchdog_s);
  supervision.repro = repro_prefix(ctx, args);
  const RunOutcome outcome = supervise_run(supervision, std::cout);
  if (outcome.units.empty() && outcome.worker_failed) return *outcome.worker_failed;  // its message says it all

  std::vector<std::string> notes;
  if (outcome.first_start) notes.push_back(first_launch_note(ms_since(ctx.started, *outcome.first_start)));
  if (outcome.restarts)
    notes.push_back(fmt::format("{} fresh worker process(es) after a fault, crash or hang (watchdog {:g} s)",
                                outcome.restarts, args.watchdog_s));
  if (outcome.worker_failed) notes.push_back("the run ended early: the worker failed (its message is above)");
  const std::string title = outcome.units.empty() ? args.op
                                                  : outcome.units.front().op + " (" + outcome.units.front().gpu + ")";
  print_results(outcome.units, title, args, notes);
  return run_exit_code(outcome);
}

}  // namespace

void add_run_command(CLI::App& app, CliContext& ctx) {
  auto args = std::make_shared<RunArgs>();
  auto* cmd = app.add_subcommand("run", "Run an op with its chosen configuration: check and time it");
  cmd->footer(
      "Each unit (one configuration of one variant at one shape) runs in a worker process: a GPU fault, a crash "
      "or a hang (--watchdog) is reported with the command that runs it again alone, and the run goes on with "
      "the next unit in a fresh process. Exit 0 when every unit passed, 1 when one was wrong or failed, 2 on bad "
      "input. docs/RELIABILITY.md");
  cmd->add_option("op", args->op, "Op name (configs/<op>.yaml) or a path to a .yaml file")->required();
  add_selection_options(cmd, args->selection);
  cmd->add_option("--params", args->params,
                  "Run this configuration of the grid, e.g. VEC=4,WARPS=2 (others: the default; its constraints must allow "
                  "it at the shape); repeat for several");
  cmd->add_option("--space", args->space, "With --params: the space (implementation) to run");
  cmd->add_option("--save-io", args->save_io, "Write inputs, outputs and reference as .npy files here");
  cmd->add_flag("--check-only", args->check_only, "Check against the reference, do not time (e.g. under compute-sanitizer, with --in-process)");
  cmd->add_flag("--all-spaces", args->all_spaces, "Run the default configuration of every space of each variant");
  add_worker_flags(cmd, args->in_process, args->watchdog_s, args->worker_fd,
                   "Run in this process, no worker (for a debugger, profiler or compute-sanitizer): the first fault "
                   "ends the run, a hang hangs it",
                   "a unit's kernel");
  // More of the worker side, set by the supervising `kpg run` only.
  cmd->add_option("--resume-from", args->resume_from)->group("");
  cmd->callback([&ctx, args] { ctx.action = [&ctx, args] { return run_op(ctx, *args); }; });
}

}  // namespace kpg
