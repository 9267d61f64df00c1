// render_svg(HeatMap): a parameter grid (e.g. block size x vector width) colored by time.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>

#include "runtime/error.hpp"
#include "report/svg_chart.hpp"
#include "report/svg_writer.hpp"
#include "report/text_format.hpp"

namespace kpg::report {
namespace {

struct Rgb {
  double r, g, b;
};

// Viridis sampled at five stops: perceptually uniform and readable in greyscale.
Rgb viridis(double t) {
  static const std::array<Rgb, 5> stops = {Rgb{68, 1, 84}, Rgb{59, 82, 139}, Rgb{33, 145, 140}, Rgb{94, 201, 98},
                                           Rgb{253, 231, 37}};
  t = std::clamp(t, 0.0, 1.0) * (stops.size() - 1);
  const auto i = std::min(static_cast<size_t>(t), stops.size() - 2);
  const double f = t - static_cast<double>(i);
  const Rgb& a = stops[i];
  const Rgb& b = stops[i + 1];
  return {a.r + f * (b.r - a.r), a.g + f * (b.g - a.g), a.b + f * (b.b - a.b)};
}

std::string hex(const Rgb& c) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "#%02x%02x%02x", static_cast<int>(std::lround(c.r)), static_cast<int>(std::lround(c.g)),
                static_cast<int>(std::lround(c.b)));
  return buf;
}

bool is_dark(const Rgb& c) { return 0.299 * c.r + 0.587 * c.g + 0.114 * c.b < 140; }

// Maps a value to "goodness" in [0, 1], 1 = best, and back.
struct ColorScale {
  double lo = 0, hi = 1;
  bool log = false, lower_is_better = true;

  double goodness(double v) const {
    if (!(hi > lo)) return 1;
    const double t = log ? (std::log(v) - std::log(lo)) / (std::log(hi) - std::log(lo)) : (v - lo) / (hi - lo);
    return lower_is_better ? 1 - t : t;
  }
  double value_at(double goodness) const {
    const double t = lower_is_better ? 1 - goodness : goodness;
    return log ? std::exp(std::log(lo) + t * (std::log(hi) - std::log(lo))) : lo + t * (hi - lo);
  }
};

std::string rect(double x, double y, double w, double h, const std::string& attrs) {
  return "<rect x=\"" + svg::px(x) + "\" y=\"" + svg::px(y) + "\" width=\"" + svg::px(w) + "\" height=\"" + svg::px(h) +
         "\" " + attrs;
}

}  // namespace

std::string render_svg(const HeatMap& map) {
  const size_t rows = map.y_values.size(), cols = map.x_values.size();
  if (map.cells.size() != rows)
    throw Error("heat map '" + map.title + "': " + std::to_string(map.cells.size()) + " rows of cells for " +
                std::to_string(rows) + " y values");
  for (size_t r = 0; r < rows; ++r)
    if (map.cells[r].size() != cols)
      throw Error("heat map '" + map.title + "': row " + std::to_string(r) + " has " +
                  std::to_string(map.cells[r].size()) + " cells for " + std::to_string(cols) + " x values");

  ColorScale scale{std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(), false,
                   map.lower_is_better};
  std::optional<std::pair<size_t, size_t>> best;
  double best_value = 0;
  for (size_t r = 0; r < rows; ++r)
    for (size_t c = 0; c < cols; ++c) {
      const auto& v = map.cells[r][c];
      if (!v || !std::isfinite(*v)) continue;
      scale.lo = std::min(scale.lo, *v), scale.hi = std::max(scale.hi, *v);
      if (!best || (map.lower_is_better ? *v < best_value : *v > best_value)) best = {r, c}, best_value = *v;
    }
  const bool any = best.has_value();
  if (!any) scale.lo = 0, scale.hi = 1;
  scale.log = scale.lo > 0 && scale.hi / scale.lo > 20;

  // Layout from the text it must hold.
  constexpr double kPad = 12, kTitleFont = 16;
  double cell_w = 56, label_w = 0;
  for (const auto& x : map.x_values) cell_w = std::max(cell_w, svg::text_width(x, 11) + 14);
  for (const auto& row : map.cells)
    for (const auto& v : row)
      if (v) cell_w = std::max(cell_w, svg::text_width(format_number(*v, 3), 11) + 14);
  for (const auto& y : map.y_values) label_w = std::max(label_w, svg::text_width(y, 11));
  const double y_label_w = svg::line_height(13);
  const double cell_h = 30, left = kPad + y_label_w + 8 + label_w + 8;
  const double grid_w = cell_w * static_cast<double>(cols), grid_h = cell_h * static_cast<double>(rows);
  const double bar_x = left + grid_w + 28, bar_w = 16, bar_h = std::max(grid_h, 140.0);
  double bar_label_w = svg::text_width(map.unit + (scale.log ? " (log)" : ""), 11) - bar_w - 6;
  for (double g : {0.0, 0.5, 1.0}) bar_label_w = std::max(bar_label_w, svg::text_width(format_number(scale.value_at(g), 3), 11));
  const std::string legend = std::string("red outline: best (") + (map.lower_is_better ? "lowest" : "highest") +
                             "), grey: pruned or failed";
  const double width = std::max({bar_x + bar_w + 6 + bar_label_w + kPad, left + svg::text_width(legend, 11) + kPad,
                                  std::min(svg::text_width(map.title, kTitleFont, true) + 2 * kPad, 880.0)});
  const auto title_lines = svg::wrap(map.title, width - 2 * kPad, kTitleFont, true);
  const double top = kPad + static_cast<double>(title_lines.size()) * svg::line_height(kTitleFont) + 28;
  const double height = top + std::max(grid_h + 44, bar_h) + 40;

  std::string out = svg::open(width, height, map.title);
  for (size_t i = 0; i < title_lines.size(); ++i)
    out += svg::text(width / 2, kPad + svg::ascent(kTitleFont) + static_cast<double>(i) * svg::line_height(kTitleFont),
                     title_lines[i], "text-anchor=\"middle\" font-size=\"16\" font-weight=\"bold\" fill=\"#222\"");

  for (size_t r = 0; r < rows; ++r) {
    const double y = top + cell_h * static_cast<double>(r);
    out += svg::text(left - 8, y + cell_h / 2 + 4, map.y_values[r], "text-anchor=\"end\" font-size=\"11\" fill=\"#333\"");
    for (size_t c = 0; c < cols; ++c) {
      const double x = left + cell_w * static_cast<double>(c);
      const auto& v = map.cells[r][c];
      const std::string where = map.x_label + " = " + map.x_values[c] + ", " + map.y_label + " = " + map.y_values[r];
      if (!v || !std::isfinite(*v)) {
        out += rect(x, y, cell_w, cell_h, "fill=\"#eeeeee\" stroke=\"#ffffff\"><title>" + xml_escape(where) +
                                              ": pruned or failed</title></rect>\n");
        out += svg::text(x + cell_w / 2, y + cell_h / 2 + 4, "-", "text-anchor=\"middle\" font-size=\"11\" fill=\"#999\"");
        continue;
      }
      const Rgb color = viridis(scale.goodness(*v));
      out += rect(x, y, cell_w, cell_h, "fill=\"" + hex(color) + "\" stroke=\"#ffffff\"><title>" +
                                            xml_escape(where + ": " + format_number(*v, 6) + " " + map.unit) +
                                            "</title></rect>\n");
      out += svg::text(x + cell_w / 2, y + cell_h / 2 + 4, format_number(*v, 3),
                       std::string("text-anchor=\"middle\" font-size=\"11\" fill=\"") +
                           (is_dark(color) ? "#ffffff" : "#111111") + "\"");
    }
  }
  if (best)
    out += rect(left + cell_w * static_cast<double>(best->second) + 1.5, top + cell_h * static_cast<double>(best->first) + 1.5,
                cell_w - 3, cell_h - 3, "fill=\"none\" stroke=\"#d62728\" stroke-width=\"3\"/>\n");
  for (size_t c = 0; c < cols; ++c)
    out += svg::text(left + cell_w * (static_cast<double>(c) + 0.5), top + grid_h + 16, map.x_values[c],
                     "text-anchor=\"middle\" font-size=\"11\" fill=\"#333\"");
  out += svg::text(left + grid_w / 2, top + grid_h + 38, map.x_label, "text-anchor=\"middle\" font-size=\"13\" fill=\"#222\"");
  const double ylx = kPad + svg::ascent(13), yly = top + grid_h / 2;
  out += svg::text(ylx, yly, map.y_label,
                   "text-anchor=\"middle\" font-size=\"13\" fill=\"#222\" transform=\"rotate(-90 " + svg::px(ylx) + " " +
                       svg::px(yly) + ")\"");

  // Color bar: best at the top, drawn as stacked slices (no gradient ids to collide when
  // several SVGs are inlined in one HTML page).
  if (any) {
    constexpr int kSlices = 48;
    for (int i = 0; i < kSlices; ++i) {
      const double g = 1.0 - (i + 0.5) / kSlices;
      out += rect(bar_x, top + bar_h * i / kSlices, bar_w, bar_h / kSlices + 0.6, "fill=\"" + hex(viridis(g)) + "\"/>\n");
    }
    out += rect(bar_x, top, bar_w, bar_h, "fill=\"none\" stroke=\"#888\"/>\n");
    for (double g : {1.0, 0.5, 0.0})
      out += svg::text(bar_x + bar_w + 6, top + bar_h * (1 - g) + 4, format_number(scale.value_at(g), 3),
                       "font-size=\"11\" fill=\"#333\"");
    out += svg::text(bar_x, top - 12, map.unit + (scale.log ? " (log)" : ""), "font-size=\"11\" fill=\"#333\"");
  }
  out += svg::text(left, height - kPad - svg::descent(11), legend, "font-size=\"11\" fill=\"#666\"");
  return out + svg::close();
}

}  // namespace kpg::report
