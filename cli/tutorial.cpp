// kpg tutorial NAME: the lessons, each a fused-vs-unfused study measured on this GPU.

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <memory>
#include <utility>
#include <vector>

#include "cli/command.hpp"
#include "tutorials/attention/attention_lesson.hpp"
#include "runtime/driver.hpp"
#include "tutorials/lessons.hpp"
#include "tutorials/memory/memory_analysis.hpp"
#include "tutorials/report/html_report.hpp"
#include "tutorials/report/results_dir.hpp"

namespace kpg {
namespace {

struct TutorialArgs {
  std::string name;
  std::vector<std::string> shapes;
  std::string dtype;
  std::string results_dir;
  bool force = false;
  bool no_tune = false;
  bool show_source = false;
  bool quick = false;
  uint64_t seed = 0;
  size_t budget = 0;
  bool theory = false;
  std::string card = "h100";
};

// "1:05": minutes and seconds since `start`.
std::string elapsed_since(std::chrono::steady_clock::time_point start) {
  const auto s = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - start).count();
  return fmt::format("{}:{:02}", s / 60, s % 60);
}

// `kpg tutorial all`: the four lessons, each in its own subfolder, their sections gathered
// into one report; a progress line before and after each lesson and the total at the end.
int run_all_lessons(TutorialOptions o) {
  const report::ResultsDir out(o.results_dir.value_or(report::default_results_dir("all")));
  std::vector<report::HtmlSection> sections;
  o.report_sections = &sections;
  int status = kExitOk;
  const std::pair<const char*, int (*)(const TutorialOptions&)> lessons[] = {
      {"softmax", &run_softmax_tutorial},
      {"layernorm", &run_layernorm_tutorial},
      {"flash-attention", &run_flash_attention_tutorial},
      {"memory-analysis", &run_memory_analysis_tutorial}};
  const size_t count = std::size(lessons);
  const auto write_combined = [&] {
    out.write("report.html", report::render_html("kpg tutorials: fused vs unfused", sections));
    std::cout << "combined report: " << (out.path() / "report.html").string() << "\n";
  };
  const auto start = std::chrono::steady_clock::now();
  try {
    for (size_t k = 0; k < count; ++k) {
      const auto& [name, lesson] = lessons[k];
      const auto lesson_start = std::chrono::steady_clock::now();
      std::cout << fmt::format("=== lesson {} of {}: {} (started at {} elapsed)\n\n", k + 1, count, name,
                               elapsed_since(start))
                << std::flush;
      o.results_dir = out.path() / name;
      status = std::max(status, lesson(o));
      std::cout << fmt::format("=== lesson {} of {}: {} done in {} ({} elapsed)\n\n", k + 1, count, name,
                               elapsed_since(lesson_start), elapsed_since(start))
                << std::flush;
    }
  } catch (...) {
    if (!sections.empty()) write_combined();  // keep what the finished lessons measured
    throw;
  }
  write_combined();
  std::cout << fmt::format("{} lessons in {} (min:s)\n", count, elapsed_since(start));
  return status;
}

int run_tutorial(const CliContext& ctx, const TutorialArgs& args) {
  TutorialOptions o;
  o.kernels_dir = ctx.kernels_dir();
  o.configs_dir = ctx.configs_dir();
  o.cache_dir = ctx.cache_dir();
  o.shapes = args.shapes;
  if (!args.dtype.empty()) o.dtype = args.dtype;
  if (!args.results_dir.empty()) o.results_dir = args.results_dir;
  o.tune.force = args.force;
  o.tune.no_tune = args.no_tune;
  o.tune.seed = args.seed;
  if (args.budget) o.tune.budget = args.budget;
  o.quick = args.quick;
  o.show_source = args.show_source;
  if (args.name == "softmax") return run_softmax_tutorial(o);
  if (args.name == "layernorm") return run_layernorm_tutorial(o);
  if (args.name == "flash-attention") return run_flash_attention_tutorial(o);
  if (args.name == "memory-analysis") {
    // Without a GPU the lesson still teaches: counted bytes against datasheet figures.
    if (args.theory || !driver_available()) return run_memory_analysis_theory(args.card, o);
    return run_memory_analysis_tutorial(o);
  }
  if (args.name == "all") return run_all_lessons(o);
  throw InputError("tutorial '" + args.name + "' is not available yet");
}

}  // namespace

void add_tutorial_command(CLI::App& app, CliContext& ctx) {
  auto args = std::make_shared<TutorialArgs>();
  auto* cmd = app.add_subcommand("tutorial", "Run a lesson: fused vs unfused, tuned and measured on this GPU");
  cmd->add_option("name", args->name, "softmax | layernorm | flash-attention | memory-analysis | all")
      ->required()
      ->check(CLI::IsMember({"softmax", "layernorm", "flash-attention", "memory-analysis", "all"}));
  cmd->add_option("--shape", args->shapes, "Shape K=V,... instead of the defaults (repeatable)");
  cmd->add_option("--dtype", args->dtype, "Element type of the default shapes: f32, f16, bf16");
  cmd->add_option("--results", args->results_dir,
                  "Results folder (default: results/<tutorial>-<time>); holds report.html (all: one subfolder "
                  "per lesson and a combined report.html)");
  cmd->add_flag("--force", args->force, "Re-tune even where the tuning cache has results");
  cmd->add_flag("--no-tune", args->no_tune, "Tune nothing: cached, nearest-shape or default configurations");
  cmd->add_flag("--show-source", args->show_source, "Print the fused kernel's source after the table");
  cmd->add_flag("--theory", args->theory, "memory-analysis: counted bytes and datasheet figures, no GPU needed");
  cmd->add_option("--card", args->card, "memory-analysis --theory: h100, h100-pcie, h200, a100")->capture_default_str();
  cmd->add_option("--budget", args->budget, "Time at most N candidates per variant and shape (guided search)");
  cmd->add_flag("--quick", args->quick,
                "A few representative shapes per lesson instead of every default shape (the main job's first report)");
  cmd->add_option("--seed", args->seed, "Seed of the random inputs (default: fresh each run)");
  cmd->callback([&ctx, args] { ctx.action = [&ctx, args] { return run_tutorial(ctx, *args); }; });
}

}  // namespace kpg
