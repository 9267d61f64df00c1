// kpg tutorial NAME: the lessons, each a fused-vs-unfused study measured on this GPU.

#include <memory>
#include <string>
#include <vector>

#include "cli/core/command.hpp"
#include "cli/core/flag_checks.hpp"
#include "cli/core/shared_flags.hpp"
#include "runtime/driver.hpp"
#include "runtime/output_file.hpp"
#include "tutorials/lessons.hpp"
#include "tutorials/memory/datasheet.hpp"
#include "tutorials/memory/lesson_ops.hpp"
#include "tutorials/memory/memory_analysis.hpp"
#include "tutorials/tutorial.hpp"

namespace kpg {
namespace {

struct TutorialArgs {
  std::string name;
  TutorialOptions options;  // the flags that map one to one: --shape, --force, --no-tune, --seed, --quick, ...
  std::string dtype;        // empty: each shape's own
  std::string results_dir;  // empty: results/<tutorial>-<time>
  size_t budget = 0;        // 0: no budget
  bool theory = false;
  std::string card = "h100";
};

// Every flag that can be checked without a GPU, before a lesson opens one (exit 2 on any
// machine): --dtype, --shape against the lesson's configs, and the results folder.
void check_flags(const TutorialArgs& args, const TutorialOptions& o) {
  if (args.theory && args.name != "memory-analysis")
    throw InputError("--theory applies to the memory-analysis lesson only (it needs no GPU); the others measure");
  if (!memory::find_datasheet(args.card)) throw InputError("unknown card '" + args.card + "'; known: " + memory::known_cards());
  tutorial_dtype(o);
  if (const Lesson* lesson = find_lesson(args.name))
    for (const auto& op : lesson->configs) tutorial_shapes(load_tutorial_config(o, op), o);
  if (args.name == "memory-analysis") memory::lesson_ops(o);
  check_output_dir(o.results_dir.value_or(report::default_results_dir(args.name)));
}

int run_tutorial(const CliContext& ctx, const TutorialArgs& args) {
  TutorialOptions o = args.options;
  o.kernels_dir = ctx.kernels_dir();
  o.configs_dir = ctx.configs_dir();
  o.cache_dir = ctx.cache_dir();
  if (!args.dtype.empty()) o.dtype = args.dtype;
  if (!args.results_dir.empty()) o.results_dir = args.results_dir;
  if (args.budget) o.tune.budget = args.budget;
  check_flags(args, o);
  if (args.name == "all") return run_lessons(o, lessons());
  // Without a GPU the memory lesson still teaches: counted bytes against datasheet figures.
  if (args.name == "memory-analysis" && (args.theory || !driver_available()))
    return run_memory_analysis_theory(args.card, o);
  return find_lesson(args.name)->run(o);
}

// "softmax | layernorm | ... | all": the names `kpg tutorial` takes.
std::vector<std::string> tutorial_names() {
  std::vector<std::string> names;
  for (const auto& lesson : lessons()) names.push_back(lesson.name);
  names.push_back("all");
  return names;
}

}  // namespace

void add_tutorial_command(CLI::App& app, CliContext& ctx) {
  auto args = std::make_shared<TutorialArgs>();
  auto* cmd = app.add_subcommand("tutorial", "Run a lesson: fused vs unfused, tuned and measured on this GPU");
  const auto names = tutorial_names();
  std::string help;
  for (const auto& name : names) help += (help.empty() ? "" : " | ") + name;
  cmd->add_option("name", args->name, help)->required()->check(CLI::IsMember(names));
  cmd->add_option("--shape", args->options.shapes, "Shape K=V,... instead of the defaults (repeatable)");
  cmd->add_option("--dtype", args->dtype, "Element type of the lesson's shapes (a --shape naming its own dtype keeps it): f32, f16, bf16");
  cmd->add_option("--results", args->results_dir,
                  "Results folder (default: results/<tutorial>-<time>); holds report.html (all: one subfolder "
                  "per lesson and a combined report.html)");
  add_tuning_flags(cmd, args->options.tune.force, args->options.tune.no_tune, args->budget);
  cmd->add_flag("--show-source", args->options.show_source, "Print the fused kernel's source after the table");
  cmd->add_flag("--theory", args->theory, "memory-analysis: counted bytes and datasheet figures, no GPU needed");
  cmd->add_option("--card", args->card, "memory-analysis --theory: h100, h100-pcie, h200, a100")->capture_default_str();
  cmd->add_flag("--quick", args->options.quick,
                "A few representative shapes per lesson instead of every default shape (the main job's first report)");
  cmd->add_option("--seed", args->options.tune.seed, "Seed of the random inputs (default: fresh each run)")->check(whole_number());
  cmd->callback([&ctx, args] { ctx.action = [&ctx, args] { return run_tutorial(ctx, *args); }; });
}

}  // namespace kpg
