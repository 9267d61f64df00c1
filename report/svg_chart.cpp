#include <algorithm>
#include <cmath>
#include <limits>

#include "report/axis.hpp"
#include "report/svg_chart.hpp"
#include "report/svg_writer.hpp"
#include "report/text_format.hpp"

namespace kpg::report {
namespace {

constexpr double kWidth = 880, kHeight = 480;
constexpr double kTop = 52, kBottom = 60;

struct Range {
  double lo = std::numeric_limits<double>::infinity(), hi = -std::numeric_limits<double>::infinity();
  void add(double v) { lo = std::min(lo, v), hi = std::max(hi, v); }
  bool empty() const { return lo > hi; }
};

bool plottable(double v, bool log) { return std::isfinite(v) && (!log || v > 0); }

Axis make_axis(const Range& r, bool log, int base, bool zero_if_positive) {
  if (r.empty()) return log ? log_axis(1, base, base) : linear_axis(0, 1, false);
  if (log) return log_axis(r.lo, r.hi, base);
  return linear_axis(r.lo, r.hi, zero_if_positive && r.lo >= 0);
}

std::string marker(double x, double y, const std::string& color, bool hollow, const std::string& tip) {
  return "<circle cx=\"" + svg::px(x) + "\" cy=\"" + svg::px(y) + "\" r=\"3.6\" fill=\"" +
         (hollow ? std::string("#ffffff") : color) + "\" stroke=\"" + color + "\" stroke-width=\"1.8\"><title>" +
         xml_escape(tip) + "</title></circle>\n";
}

std::string dash_attr(bool dashed) { return dashed ? " stroke-dasharray=\"7 4\"" : ""; }

}  // namespace

std::string render_svg(const Chart& chart) {
  // Only the points the axes can show, sorted by x so each series draws left to right.
  std::vector<Series> series = chart.series;
  Range xr, yr;
  for (size_t i = 0; i < series.size(); ++i) {
    auto& pts = series[i].points;
    std::erase_if(pts, [&](const auto& p) { return !plottable(p.first, chart.log_x) || !plottable(p.second, chart.log_y); });
    std::sort(pts.begin(), pts.end());
    for (const auto& [x, y] : pts) xr.add(x), yr.add(y);
    if (series[i].color.empty()) series[i].color = svg::palette(i);
  }
  std::vector<std::pair<double, std::string>> hlines;
  for (const auto& h : chart.hlines)
    if (plottable(h.first, chart.log_y)) hlines.push_back(h), yr.add(h.first);

  // Headroom above the highest value so that a line at the top (the copy ceiling) and its
  // label stay clear of the title.
  if (!chart.log_y && !yr.empty() && yr.hi > 0) yr.hi += 0.05 * (yr.hi - std::min(yr.lo, 0.0));
  const Axis xa = make_axis(xr, chart.log_x, 2, false);
  const Axis ya = make_axis(yr, chart.log_y, 10, true);

  double legend_w = 0;
  for (const auto& s : series) legend_w = std::max(legend_w, svg::text_width(s.name, 12) + 48);
  legend_w = series.empty() ? 16 : std::clamp(legend_w, 110.0, 280.0);
  double tick_w = 0;
  for (double t : ya.ticks) tick_w = std::max(tick_w, svg::text_width(ya.label(t), 11));
  const double left = 34 + tick_w + 10, right = kWidth - legend_w - 12;
  const double top = kTop, bottom = kHeight - kBottom;
  auto X = [&](double v) { return xa.to_pixel(v, left, right); };
  auto Y = [&](double v) { return ya.to_pixel(v, bottom, top); };

  std::string out = svg::open(kWidth, kHeight, chart.title);
  out += svg::text((left + right) / 2, 30, chart.title, "text-anchor=\"middle\" font-size=\"17\" font-weight=\"bold\" fill=\"#222\"");

  // Grid, ticks and tick labels.
  for (double t : ya.ticks) {
    out += svg::line(left, Y(t), right, Y(t), "stroke=\"#e6e6e6\"");
    out += svg::text(left - 8, Y(t) + 4, ya.label(t), "text-anchor=\"end\" font-size=\"11\" fill=\"#444\"");
  }
  for (double t : xa.ticks) {
    out += svg::line(X(t), top, X(t), bottom, "stroke=\"#eeeeee\"");
    out += svg::line(X(t), bottom, X(t), bottom + 5, "stroke=\"#666\"");
    out += svg::text(X(t), bottom + 19, xa.label(t), "text-anchor=\"middle\" font-size=\"11\" fill=\"#444\"");
  }
  out += svg::line(left, bottom, right, bottom, "stroke=\"#666\"");
  out += svg::line(left, top, left, bottom, "stroke=\"#666\"");
  out += svg::text((left + right) / 2, kHeight - 16, chart.x_label, "text-anchor=\"middle\" font-size=\"13\" fill=\"#222\"");
  const double ylx = 18, yly = (top + bottom) / 2;
  out += svg::text(ylx, yly, chart.y_label,
                   "text-anchor=\"middle\" font-size=\"13\" fill=\"#222\" transform=\"rotate(-90 " + svg::px(ylx) + " " +
                       svg::px(yly) + ")\"");

  // Reference levels under the data, labelled at their right end.
  for (const auto& [value, label] : hlines) {
    out += svg::line(left, Y(value), right, Y(value), "stroke=\"#555\" stroke-width=\"1.3\" stroke-dasharray=\"2 3\"");
    out += svg::text(right - 4, Y(value) - 5, label + " (" + format_number(value) + ")",
                     "text-anchor=\"end\" font-size=\"11\" fill=\"#333\" stroke=\"#ffffff\" stroke-width=\"3\" "
                     "paint-order=\"stroke\"");
  }

  for (const auto& s : series) {
    if (s.points.size() > 1) {
      std::string pts;
      for (const auto& [x, y] : s.points) pts += (pts.empty() ? "" : " ") + svg::px(X(x)) + "," + svg::px(Y(y));
      out += "<polyline points=\"" + pts + "\" fill=\"none\" stroke=\"" + s.color +
             "\" stroke-width=\"2.2\" stroke-linejoin=\"round\"" + dash_attr(s.dashed) + "/>\n";
    }
    for (const auto& [x, y] : s.points)
      out += marker(X(x), Y(y), s.color, s.dashed,
                    s.name + ": " + chart.x_label + " = " + format_number(x, 6) + ", " + chart.y_label + " = " +
                        format_number(y, 6));
  }
  if (xr.empty())
    out += svg::text((left + right) / 2, (top + bottom) / 2, "no data", "text-anchor=\"middle\" font-size=\"14\" fill=\"#999\"");

  // Legend, right of the plot.
  double ly = top + 8;
  const double lx = right + 18;
  for (const auto& s : series) {
    out += svg::line(lx, ly, lx + 26, ly, "stroke=\"" + s.color + "\" stroke-width=\"2.2\"" + dash_attr(s.dashed));
    out += marker(lx + 13, ly, s.color, s.dashed, s.name);
    out += svg::text(lx + 34, ly + 4, s.name, "font-size=\"12\" fill=\"#222\"");
    ly += 20;
  }
  return out + svg::close();
}

}  // namespace kpg::report
