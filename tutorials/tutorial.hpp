#pragma once
// What every tutorial shares: its options, the GPU session it runs in, and where its
// results go.

#include <filesystem>
#include <functional>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "kpg/operation.hpp"
#include "runtime/compiler.hpp"
#include "runtime/cubin_cache.hpp"
#include "tuner/config.hpp"
#include "tuner/gpu.hpp"
#include "tuner/tuner.hpp"
#include "tuner/tuning_cache.hpp"
#include "report/html_report.hpp"
#include "report/results_dir.hpp"
#include "report/run_description.hpp"
#include "report/svg_chart.hpp"
#include "report/table.hpp"

namespace kpg {

struct TutorialOptions {
  std::filesystem::path kernels_dir, configs_dir, cache_dir;
  std::vector<std::string> shapes;      // --shape overrides, "M=4096,N=781[,dtype=f16]"
  std::optional<std::string> dtype;     // --dtype: the dtype of every shape that names none
  std::optional<std::filesystem::path> results_dir;
  std::optional<std::filesystem::path> save_io;
  TuneOptions tune;
  // The main job's first report: each op runs its quick shapes (tutorials/quick_shapes.hpp)
  // instead of every default shape of its config.
  bool quick = false;
  bool show_source = false;
  // When set, each tutorial also appends its HTML sections here (headings prefixed with
  // its title), so `kpg tutorial all` can write one combined report. Not owned.
  std::vector<report::HtmlSection>* report_sections = nullptr;
};

// Everything a tutorial needs on the GPU, opened once: the tuner chooses configurations
// (as `kpg tune` does); the kernels measured launch through the library (kpg::Operation,
// opened with `operation_dirs` and the lesson's YAML).
struct TutorialSession {
  explicit TutorialSession(const TutorialOptions& options);
  Gpu gpu;
  CubinCache cubin_cache;
  Compiler compiler;
  TuningCache tuning_cache;
  Tuner tuner;
  OperationOptions operation_dirs;  // the tutorial's kernels, configs and cache folders
};

OpConfig load_tutorial_config(const TutorialOptions& options, const std::string& op);

// The --dtype given (nullopt: none); ConfigError unless it is f32, f16 or bf16.
std::optional<DType> tutorial_dtype(const TutorialOptions& options);

// The shapes to run: --shape values if given, else the op's quick shapes with --quick,
// else the config's defaults; --dtype sets the dtype of each (a --shape naming its own keeps it).
std::vector<Shape> tutorial_shapes(const OpConfig& config, const TutorialOptions& options);

// How wide lesson tables print: report::kLessonWidth columns in a terminal or a log (a
// narrower terminal: its width); their report files (CSV, JSON, HTML) keep every column.
size_t lesson_table_width();

// The variant's kernel files with the entry points each launches, "softmax/warp_per_row.cu
// (softmax_warp), ..." (paths relative to the kernels dir when inside it); with
// `with_text`, each file's text follows its line.
std::string lesson_code(const VariantSpec& variant, const std::filesystem::path& kernels_dir, bool with_text);

// Formatting helpers shared by the lesson tables.
std::string fmt(double value, int decimals);
std::string fmt_bytes(int64_t bytes);

// Appends a row and prints it at once ("column value | ...", lesson_table_width() wide),
// so a long lesson shows each result as it comes (and an interrupted run keeps what it
// measured in its log).
void add_row(report::Table& table, std::vector<std::string> row);

// `kpg tutorial all`: runs the lessons in order, each into its own subfolder of the results
// folder, and gathers their HTML sections into one report.html there (written too when a
// lesson throws, with what the finished ones measured). Prints "=== lesson k of n: NAME"
// before and after each lesson, with its time and the total elapsed, and the total at the
// end. Returns the worst exit status.
struct Lesson {
  std::string name;
  std::function<int(const TutorialOptions&)> run;
  std::vector<std::string> configs = {};  // op configs whose shapes it runs, checked before a GPU opens
};
int run_lessons(TutorialOptions options, const std::vector<Lesson>& lessons, std::ostream& out = std::cout);

// ---------------------------------------------------------------- HTML reports
// A lesson text ("Heading\n  body ...") as a section: first line the heading, the rest
// its text.
report::HtmlSection lesson_section(const std::string& lesson);

// Writes <name>.json and <name>.csv of `table` and <name>.svg of `chart` into `out`, and
// returns them as one HTML section under `heading`, with `run` (describe_run) as its text.
report::HtmlSection write_table_and_chart(const report::ResultsDir& out, const std::string& name,
                                         const std::string& heading, const std::string& run,
                                         const report::Table& table, const report::Chart& chart);

// Writes out/report.html (self-contained: render_html) atomically and appends the
// sections, headings prefixed with `title`, to options.report_sections when set.
void write_html_report(const TutorialOptions& options, const report::ResultsDir& out, const std::string& title,
                       const std::vector<report::HtmlSection>& sections);

}  // namespace kpg
