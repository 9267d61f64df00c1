#include "tutorials/tutorial.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <fstream>
#include <sstream>

#include "runtime/driver.hpp"

namespace kpg {

TutorialSession::TutorialSession(const TutorialOptions& options)
    : gpu(0),
      cubin_cache(options.cache_dir),
      compiler(&cubin_cache),
      tuning_cache(options.cache_dir),
      tuner(gpu, compiler, tuning_cache, options.kernels_dir) {}

OpConfig load_tutorial_config(const TutorialOptions& options, const std::string& op) {
  return load_config(resolve_op_config(op, options.configs_dir), options.kernels_dir);
}

std::vector<Shape> tutorial_shapes(const OpConfig& config, const TutorialOptions& options) {
  std::vector<Shape> shapes;
  if (!options.shapes.empty()) {
    for (const auto& text : options.shapes) shapes.push_back(parse_shape(text, config));
    return shapes;
  }
  for (Shape s : config.shapes) {
    if (options.dtype) {
      const auto d = parse_dtype(*options.dtype);
      if (!d) throw ConfigError({"--dtype", 0, 0, "dtype"}, "expected f32, f16 or bf16, got '" + *options.dtype + "'");
      s.dtype = *d;
    }
    if (std::find_if(shapes.begin(), shapes.end(), [&](const Shape& o) { return o.to_string() == s.to_string(); }) ==
        shapes.end())
      shapes.push_back(s);
  }
  return shapes;
}

std::string describe_run(const Gpu& gpu) {
  const auto& p = gpu.props();
  const int v = driver_version();
  const auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  char date[16];
  std::strftime(date, sizeof date, "%Y-%m-%d", std::gmtime(&t));
  return p.name + " (" + p.arch() + ", " + std::to_string(p.sm_count) + " SMs), CUDA driver " +
         std::to_string(v / 1000) + "." + std::to_string(v % 1000 / 10) + ", " + date;
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


void add_row(report::Table& table, std::vector<std::string> row) {
  std::string line = "  ";
  for (size_t i = 0; i < row.size() && i < table.columns.size(); ++i)
    line += (i ? " | " : "") + table.columns[i] + " " + row[i];
  std::cout << line << std::endl;
  table.rows.push_back(std::move(row));
}

}  // namespace kpg
