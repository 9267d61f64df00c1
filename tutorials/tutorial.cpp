#include "tutorials/tutorial.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <fstream>
#include <sstream>

#include "runtime/driver.hpp"
#include "tutorials/quick_shapes.hpp"
#include "report/json_csv.hpp"
#include "report/text_format.hpp"
#include "tuner/cache_file.hpp"

namespace kpg {

TutorialSession::TutorialSession(const TutorialOptions& options)
    : gpu(0),
      cubin_cache(options.cache_dir),
      compiler(&cubin_cache),
      tuning_cache(options.cache_dir),
      tuner(gpu, compiler, tuning_cache, options.kernels_dir) {
  operation_dirs.kernels_dir = options.kernels_dir.string();
  operation_dirs.configs_dir = options.configs_dir.string();
  operation_dirs.cache_dir = options.cache_dir.string();
}

OpConfig load_tutorial_config(const TutorialOptions& options, const std::string& op) {
  return load_config(resolve_op_config(op, options.configs_dir), options.kernels_dir);
}

std::optional<DType> tutorial_dtype(const TutorialOptions& options) {
  if (!options.dtype) return std::nullopt;
  const auto d = parse_dtype(*options.dtype);
  if (!d || *d == DType::i32)
    throw ConfigError({"--dtype", 0, 0, "dtype"}, "expected f32, f16 or bf16, got '" + *options.dtype + "'");
  return d;
}

std::vector<Shape> tutorial_shapes(const OpConfig& config, const TutorialOptions& options) {
  std::vector<Shape> shapes;
  const auto dtype = tutorial_dtype(options);
  if (!options.shapes.empty()) {
    for (const auto& text : options.shapes) shapes.push_back(parse_shape(text, config, dtype));
    return shapes;
  }
  std::vector<Shape> defaults = config.shapes;
  if (options.quick && !quick_shapes(config.op).empty()) {
    defaults.clear();
    for (const auto& text : quick_shapes(config.op)) defaults.push_back(parse_shape(text, config));
  }
  for (Shape s : defaults) {
    if (dtype) s.dtype = *dtype;
    if (std::find_if(shapes.begin(), shapes.end(), [&](const Shape& o) { return o.to_string() == s.to_string(); }) ==
        shapes.end())
      shapes.push_back(s);
  }
  return shapes;
}

std::string lesson_code(const VariantSpec& variant, const std::filesystem::path& kernels_dir, bool with_text) {
  std::string out;
  for (const auto& source : variant.sources()) {
    std::string kernels;
    for (const auto& space : variant.spaces)
      for (const auto& launch : space.launches)
        if (space.source == source && kernels.find(launch.kernel) == std::string::npos)
          kernels += (kernels.empty() ? "" : ", ") + launch.kernel;
    const auto relative = source.lexically_relative(std::filesystem::absolute(kernels_dir).lexically_normal());
    const bool inside = !relative.empty() && relative.begin()->string() != "..";
    out += "  " + (inside ? relative : source).string() + " (" + kernels + ")\n";
    if (with_text) out += read_text_file(source).value_or("") + "\n";
  }
  return out;
}

std::string fmt(double value, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  return buf;
}

std::string fmt_bytes(int64_t bytes) {
  const char* units[] = {"B", "KB", "MB", "GB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1000 && u < 3) {
    v /= 1000;
    ++u;
  }
  return fmt(v, v < 10 ? 2 : 1) + " " + units[u];
}


size_t lesson_table_width() { return std::min(report::output_width(), report::kLessonWidth); }

void add_row(report::Table& table, std::vector<std::string> row) {
  std::cout << report::render_row_inline(table, row, lesson_table_width()) << std::flush;
  table.rows.push_back(std::move(row));
}

namespace {

// "1:05": minutes and seconds since `start`.
std::string elapsed_since(std::chrono::steady_clock::time_point start) {
  const auto s = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - start).count();
  return fmt::format("{}:{:02}", s / 60, s % 60);
}

}  // namespace

int run_lessons(TutorialOptions options, const std::vector<Lesson>& lessons, std::ostream& out) {
  const report::ResultsDir results(options.results_dir.value_or(report::default_results_dir("all")));
  std::vector<report::HtmlSection> sections;
  options.report_sections = &sections;
  const auto write_combined = [&] {
    results.write("report.html", report::render_html("kpg tutorials: fused vs unfused", sections));
    out << "combined report: " << (results.path() / "report.html").string() << "\n";
  };
  int status = 0;
  const auto start = std::chrono::steady_clock::now();
  try {
    for (size_t k = 0; k < lessons.size(); ++k) {
      const Lesson& lesson = lessons[k];
      const auto lesson_start = std::chrono::steady_clock::now();
      out << fmt::format("=== lesson {} of {}: {} (started at {} elapsed)\n\n", k + 1, lessons.size(), lesson.name,
                         elapsed_since(start))
          << std::flush;
      options.results_dir = results.path() / lesson.name;
      status = std::max(status, lesson.run(options));
      out << fmt::format("=== lesson {} of {}: {} done in {} ({} elapsed)\n\n", k + 1, lessons.size(), lesson.name,
                         elapsed_since(lesson_start), elapsed_since(start))
          << std::flush;
    }
  } catch (...) {
    if (!sections.empty()) write_combined();  // keep what the finished lessons measured
    throw;
  }
  write_combined();
  out << fmt::format("{} lessons in {} (min:s)\n", lessons.size(), elapsed_since(start));
  return status;
}

report::HtmlSection lesson_section(const std::string& lesson) {
  const size_t eol = lesson.find('\n');
  report::HtmlSection s;
  s.heading = lesson.substr(0, eol);
  if (eol != std::string::npos) s.text = lesson.substr(eol + 1);
  return s;
}

report::HtmlSection write_table_and_chart(const report::ResultsDir& out, const std::string& name,
                                         const std::string& heading, const std::string& run,
                                         const report::Table& table, const report::Chart& chart) {
  out.write(name + ".json", report::to_json(table).dump(2));
  out.write(name + ".csv", report::to_csv(table));
  const std::string svg = report::render_svg(chart);
  out.write(name + ".svg", svg);
  return {heading, run, {table}, {svg}, ""};
}

void write_html_report(const TutorialOptions& options, const report::ResultsDir& out, const std::string& title,
                       const std::vector<report::HtmlSection>& sections) {
  out.write("report.html", report::render_html(title, sections));
  if (!options.report_sections) return;
  for (report::HtmlSection s : sections) {
    s.heading = title + ": " + s.heading;
    options.report_sections->push_back(std::move(s));
  }
}

}  // namespace kpg
