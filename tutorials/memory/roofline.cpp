#include "tutorials/memory/roofline.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>

#include "runtime/error.hpp"
#include "report/svg_chart.hpp"
#include "report/svg_writer.hpp"
#include "report/text_format.hpp"

namespace kpg::memory {
namespace {

void check(const Roofline& r) {
  if (r.compute.empty()) throw Error("roofline '" + r.title + "' has no compute ceiling");
  if (!(r.bandwidth_gbs > 0)) throw Error("roofline '" + r.title + "' has no bandwidth ceiling");
}

double max_peak(const Roofline& r) {
  double p = 0;
  for (const auto& c : r.compute) p = std::max(p, c.gflops);
  return p;
}

double min_peak(const Roofline& r) {
  double p = r.compute.front().gflops;
  for (const auto& c : r.compute) p = std::min(p, c.gflops);
  return p;
}

// The compute ceiling a point's flops run on (the first when the index is out of range).
double peak_of(const Roofline& r, const RooflinePoint& p) {
  return r.compute.at(p.ceiling < r.compute.size() ? p.ceiling : 0).gflops;
}

double roof_of(const Roofline& r, const RooflinePoint& p) {
  return attainable_gflops(p.intensity, r.bandwidth_gbs, peak_of(r, p));
}

bool plottable(const RooflinePoint& p) { return p.intensity > 0 && std::isfinite(p.intensity); }

// Decade-aligned ranges covering the points, both ridges and the ceilings.
struct Range {
  double x_lo, x_hi, y_lo, y_hi;
};

Range chart_range(const Roofline& r) {
  double x_min = 1.0 / 8, x_max = 4 * ridge_intensity(r.bandwidth_gbs, max_peak(r));
  double y_min = attainable_gflops(x_min, r.bandwidth_gbs, min_peak(r));
  for (const auto& p : r.points) {
    if (!plottable(p)) continue;
    x_min = std::min(x_min, p.intensity);
    x_max = std::max(x_max, p.intensity);
    y_min = std::min(y_min, p.achieved_gflops.value_or(roof_of(r, p)));
  }
  y_min = std::min(y_min, r.bandwidth_gbs * x_min);
  return {std::pow(10.0, std::floor(std::log10(x_min))), std::pow(10.0, std::ceil(std::log10(x_max))),
          std::pow(10.0, std::floor(std::log10(std::max(y_min, 1e-3)))),
          std::pow(10.0, std::ceil(std::log10(max_peak(r) * 1.5)))};
}

int to_cell(double v, double lo, double hi, int cells) {
  const double t = (std::log10(v) - std::log10(lo)) / (std::log10(hi) - std::log10(lo));
  return std::clamp(static_cast<int>(std::lround(t * (cells - 1))), 0, cells - 1);
}

double from_cell(int i, double lo, double hi, int cells) {
  return std::pow(10.0, std::log10(lo) + (std::log10(hi) - std::log10(lo)) * i / (cells - 1));
}

std::string si(double gflops) {
  if (gflops >= 1000) return fmt::format("{:.4g} TFLOP/s", gflops / 1000);
  return fmt::format("{:.4g} GFLOP/s", gflops);
}

const char* wall(double intensity, double bandwidth, double peak) {
  return intensity < ridge_intensity(bandwidth, peak) ? "memory" : "compute";
}

}  // namespace

double attainable_gflops(double intensity, double bandwidth_gbs, double peak_gflops) {
  return std::min(bandwidth_gbs * intensity, peak_gflops);
}

double ridge_intensity(double bandwidth_gbs, double peak_gflops) { return peak_gflops / bandwidth_gbs; }

std::string render_roofline_text(const Roofline& r, int width, int height) {
  check(r);
  width = std::max(width, 16);
  height = std::max(height, 6);
  const Range range = chart_range(r);
  std::vector<std::string> grid(static_cast<size_t>(height), std::string(static_cast<size_t>(width), ' '));
  auto put = [&](int col, int row, char c) { grid[static_cast<size_t>(height - 1 - row)][static_cast<size_t>(col)] = c; };

  // Ceilings, lowest first so the higher roofs overwrite the shared slope only where they differ.
  std::vector<ComputeCeiling> ceilings = r.compute;
  std::sort(ceilings.begin(), ceilings.end(), [](const auto& a, const auto& b) { return a.gflops < b.gflops; });
  const char flat_marks[] = {'-', '=', '~', '+'};
  for (size_t c = 0; c < ceilings.size(); ++c)
    for (int col = 0; col < width; ++col) {
      const double x = from_cell(col, range.x_lo, range.x_hi, width);
      const bool slope = r.bandwidth_gbs * x < ceilings[c].gflops;
      put(col, to_cell(attainable_gflops(x, r.bandwidth_gbs, ceilings[c].gflops), range.y_lo, range.y_hi, height),
          slope ? '/' : flat_marks[c % 4]);
    }
  for (size_t i = 0; i < r.points.size(); ++i) {
    const auto& p = r.points[i];
    if (!plottable(p)) continue;
    const double y = p.achieved_gflops.value_or(roof_of(r, p));
    const char letter = static_cast<char>((p.achieved_gflops ? 'A' : 'a') + static_cast<int>(i % 26));
    const int col = to_cell(p.intensity, range.x_lo, range.x_hi, width), row = to_cell(y, range.y_lo, range.y_hi, height);
    char& cell = grid[static_cast<size_t>(height - 1 - row)][static_cast<size_t>(col)];
    cell = std::isalpha(static_cast<unsigned char>(cell)) || cell == '*' ? '*' : letter;  // '*': points on one cell
  }

  std::string out;
  for (const auto& line : report::wrap_text(r.title, report::kLessonWidth)) out += line + "\n";
  for (int row = 0; row < height; ++row) {
    const int level = height - 1 - row;  // label the top, the bottom and the middle rows
    const bool label = level == 0 || level == height - 1 || level == height / 2;
    const std::string y = label ? fmt::format("{:.3g}", from_cell(level, range.y_lo, range.y_hi, height)) : "";
    out += fmt::format("{:>9} |{}\n", y, grid[static_cast<size_t>(row)]);
  }
  out += fmt::format("{:>9} +{}\n", "", std::string(static_cast<size_t>(width), '-'));
  const std::string lo = fmt::format("{:.3g}", range.x_lo), hi = fmt::format("{:.3g}", range.x_hi);
  out += fmt::format("{:>9}  {}{:>{}}\n", "", lo, hi, static_cast<size_t>(width) - lo.size());
  out += fmt::format("{:>9}  y: GFLOP/s (log)   x: flops per byte of device memory (log)\n", "");

  out += fmt::format("  / memory wall: {:.0f} GB/s ({})\n", r.bandwidth_gbs, r.bandwidth_label);
  for (size_t c = 0; c < ceilings.size(); ++c)
    out += fmt::format("  {} compute wall: {} ({}), ridge at {:.1f} flops/byte\n", flat_marks[c % 4],
                       si(ceilings[c].gflops), ceilings[c].label, ridge_intensity(r.bandwidth_gbs, ceilings[c].gflops));
  for (size_t i = 0; i < r.points.size(); ++i) {
    const auto& p = r.points[i];
    if (!plottable(p)) {
      out += fmt::format("  {}: not drawn (flops not counted for this kernel)\n", p.label);
      continue;
    }
    const char letter = static_cast<char>((p.achieved_gflops ? 'A' : 'a') + static_cast<int>(i % 26));
    const double roof = roof_of(r, p);
    std::string tail = p.achieved_gflops
                           ? fmt::format("achieved {} = {:.0f}% of its roof", si(*p.achieved_gflops),
                                         100 * *p.achieved_gflops / roof)
                           : fmt::format("roof {} (not measured)", si(roof));
    const std::string line = fmt::format("{} {}: {:.3g} flops/byte, {}-bound, {}", letter, p.label, p.intensity,
                                         wall(p.intensity, r.bandwidth_gbs, peak_of(r, p)), tail);
    const auto lines = report::wrap_text(line, report::kLessonWidth - 4);
    for (size_t k = 0; k < lines.size(); ++k) out += (k == 0 ? "  " : "    ") + lines[k] + "\n";
  }
  return out;
}

std::string render_roofline_svg(const Roofline& r) {
  check(r);
  const Range range = chart_range(r);
  report::Chart chart{r.title, "arithmetic intensity (flops per byte of device memory)", "GFLOP/s",
                      report::Scale::log10, report::Scale::log10, {}, {}};
  chart.subtitle = fmt::format("memory roof: {:.0f} GB/s ({})", r.bandwidth_gbs, r.bandwidth_label);
  // Each roof as a line: up the memory slope to its ridge, then flat at its compute peak.
  const char* roof_colors[] = {"#3a3a3a", "#8c8c8c"};
  for (size_t i = 0; i < r.compute.size(); ++i) {
    const auto& c = r.compute[i];
    report::Series roof{fmt::format("roof: {} ({})", c.label, si(c.gflops)), {}, roof_colors[i % 2], i % 2 == 1,
                        false, true};
    const double ridge = std::clamp(ridge_intensity(r.bandwidth_gbs, c.gflops), range.x_lo, range.x_hi);
    for (double x : {range.x_lo, ridge, range.x_hi})
      roof.points.emplace_back(x, attainable_gflops(x, r.bandwidth_gbs, c.gflops));
    chart.series.push_back(std::move(roof));
  }
  // Kernels as markers: filled where measured, hollow where placed on their roof.
  bool placed = false;
  size_t k = 0;
  for (const auto& p : r.points) {
    if (!plottable(p)) continue;
    const bool measured = p.achieved_gflops.has_value();
    placed = placed || !measured;
    chart.series.push_back({p.label, {{p.intensity, p.achieved_gflops.value_or(roof_of(r, p))}},
                            report::svg::palette(k++), !measured, true, false});
  }
  if (placed) chart.subtitle += "; hollow markers: kernels placed on their roof, not measured";
  return report::render_svg(chart);
}

}  // namespace kpg::memory
