#include "report/svg_chart.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

#include "report/axis.hpp"
#include "report/svg_writer.hpp"
#include "report/text_format.hpp"

namespace kpg::report {
namespace {

constexpr double kWidth = 880;        // fits the HTML report's column
constexpr double kPlotHeight = 330;   // the canvas grows when the legend needs more
constexpr double kPad = 12;           // blank border around everything
constexpr double kTitleFont = 16, kSubtitleFont = 12, kLabelFont = 13, kTickFont = 11, kLegendFont = 12;
constexpr double kTick = 5;           // tick mark length
constexpr double kLegendTextMax = 230;  // longer legend entries wrap
constexpr double kSwatch = 30;        // legend line sample

struct Range {
  double lo = std::numeric_limits<double>::infinity(), hi = -std::numeric_limits<double>::infinity();
  void add(double v) { lo = std::min(lo, v), hi = std::max(hi, v); }
  bool empty() const { return lo > hi; }
};

bool plottable(double v, Scale scale) { return std::isfinite(v) && (scale == Scale::linear || v > 0); }

Axis make_axis(const Range& r, Scale scale, bool zero_if_positive) {
  if (scale == Scale::linear) return r.empty() ? linear_axis(0, 1, false) : linear_axis(r.lo, r.hi, zero_if_positive && r.lo >= 0);
  const int base = scale == Scale::log2 ? 2 : 10;
  return r.empty() ? log_axis(1, base, base) : log_axis(r.lo, r.hi, base);
}

// A tick label: plain text, or a power of ten written 10 with a raised exponent.
struct TickLabel {
  std::string text, exponent;
  double width() const { return svg::text_width(text, kTickFont) + svg::text_width(exponent, kTickFont * 0.75); }
  std::string draw(double x, double y, std::string_view attrs) const {
    std::string out = "<text x=\"" + svg::px(x) + "\" y=\"" + svg::px(y) + "\" " + std::string(attrs) + ">" +
                      xml_escape(text);
    if (!exponent.empty())
      out += "<tspan dy=\"-5\" font-size=\"" + svg::px(kTickFont * 0.75) + "\">" + xml_escape(exponent) + "</tspan>";
    return out + "</text>\n";
  }
};

TickLabel tick_label(const Axis& axis, double value) {
  if (axis.log_base == 10 && (value >= 1e4 || value < 1e-2)) {
    const double e = std::round(std::log10(value));
    if (std::abs(value / std::pow(10.0, e) - 1) < 1e-9) return {"10", std::to_string(static_cast<int>(e))};
  }
  return {axis.label(value), ""};
}

// The ticks to label: every k-th, k as small as keeps neighbouring labels `gap` apart,
// where a label at `v` reaches half_extent(v) either side of position(v).
std::vector<double> thin_ticks(const std::vector<double>& ticks, const std::function<double(double)>& position,
                               const std::function<double(double)>& half_extent, double gap) {
  for (size_t every = 1; every <= ticks.size(); ++every) {
    std::vector<double> kept;
    for (size_t i = 0; i < ticks.size(); i += every) kept.push_back(ticks[i]);
    bool clear = true;
    for (size_t i = 1; i < kept.size() && clear; ++i)
      clear = std::abs(position(kept[i]) - position(kept[i - 1])) >= half_extent(kept[i]) + half_extent(kept[i - 1]) + gap;
    if (clear) return kept;
  }
  return ticks.empty() ? ticks : std::vector<double>{ticks.front()};
}

std::string dash_attr(bool dashed) { return dashed ? " stroke-dasharray=\"7 4\"" : ""; }

// Marker `shape` (0 circle, 1 square, 2 triangle, 3 diamond) at (x, y); hovering shows `tip`.
std::string marker(size_t shape, double x, double y, const std::string& color, bool hollow, const std::string& tip) {
  const std::string paint = "fill=\"" + (hollow ? std::string("#ffffff") : color) + "\" stroke=\"" + color +
                            "\" stroke-width=\"1.6\"";
  const std::string title = tip.empty() ? "" : "<title>" + xml_escape(tip) + "</title>";
  const double r = 3.8;
  auto polygon = [&](std::initializer_list<std::pair<double, double>> pts) {
    std::string p;
    for (const auto& [dx, dy] : pts) p += (p.empty() ? "" : " ") + svg::px(x + dx) + "," + svg::px(y + dy);
    return "<polygon points=\"" + p + "\" " + paint + ">" + title + "</polygon>\n";
  };
  switch (shape % 4) {
    case 1: return polygon({{-r, -r}, {r, -r}, {r, r}, {-r, r}});
    case 2: return polygon({{0, -r * 1.2}, {r * 1.1, r * 0.8}, {-r * 1.1, r * 0.8}});
    case 3: return polygon({{0, -r * 1.3}, {r * 1.1, 0}, {0, r * 1.3}, {-r * 1.1, 0}});
    default:
      return "<circle cx=\"" + svg::px(x) + "\" cy=\"" + svg::px(y) + "\" r=\"" + svg::px(r) + "\" " + paint + ">" +
             title + "</circle>\n";
  }
}

// One legend entry: a sample of the line and marker, and the name wrapped to the column.
struct LegendEntry {
  std::vector<std::string> lines;
  std::string color;
  bool dashed = false, dotted = false, line = true;
  std::optional<size_t> marker;
  double height() const { return static_cast<double>(lines.size()) * svg::line_height(kLegendFont) + 5; }
};

std::string text_lines(double x, double first_baseline, const std::vector<std::string>& lines, double font,
                       const std::string& attrs) {
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i)
    out += svg::text(x, first_baseline + static_cast<double>(i) * svg::line_height(font), lines[i],
                     "font-size=\"" + svg::px(font) + "\" " + attrs);
  return out;
}

}  // namespace

std::string render_svg(const Chart& chart) {
  // Only the points the axes can show, sorted by x so each series draws left to right.
  std::vector<Series> series = chart.series;
  Range xr, yr;
  for (size_t i = 0; i < series.size(); ++i) {
    auto& pts = series[i].points;
    std::erase_if(pts, [&](const auto& p) { return !plottable(p.first, chart.x_scale) || !plottable(p.second, chart.y_scale); });
    std::sort(pts.begin(), pts.end());
    for (const auto& [x, y] : pts) xr.add(x), yr.add(y);
    if (series[i].color.empty()) series[i].color = svg::palette(i);
  }
  std::vector<std::pair<double, std::string>> hlines;
  for (const auto& h : chart.hlines)
    if (plottable(h.first, chart.y_scale)) hlines.push_back(h), yr.add(h.first);
  // Headroom above the highest value, so a line at the top stays clear of the frame.
  if (chart.y_scale == Scale::linear && !yr.empty() && yr.hi > 0) yr.hi += 0.05 * (yr.hi - std::min(yr.lo, 0.0));
  if (chart.y_scale != Scale::linear && !yr.empty()) yr.hi *= 1.5;
  const Axis xa = make_axis(xr, chart.x_scale, false);
  const Axis ya = make_axis(yr, chart.y_scale, true);

  // Legend entries: every series, then every reference line.
  std::vector<LegendEntry> legend;
  size_t marker_shapes = 0;
  std::vector<std::optional<size_t>> shape_of(series.size());
  for (size_t i = 0; i < series.size(); ++i) {
    const auto& s = series[i];
    if (s.markers) shape_of[i] = marker_shapes++;
    legend.push_back({svg::wrap(s.name, kLegendTextMax, kLegendFont), s.color, s.dashed, false,
                      s.line && s.points.size() != 1, shape_of[i]});
  }
  for (const auto& [value, label] : hlines)
    legend.push_back({svg::wrap(label + " (" + format_number(value) + ")", kLegendTextMax, kLegendFont), "#555555",
                      false, true, true, std::nullopt});
  double legend_text_w = 0;
  for (const auto& e : legend)
    for (const auto& l : e.lines) legend_text_w = std::max(legend_text_w, svg::text_width(l, kLegendFont));
  const double legend_w = legend.empty() ? 0 : kSwatch + 8 + legend_text_w;

  // Vertical layout: title, subtitle, plot, x tick labels, x label.
  const auto title_lines = svg::wrap(chart.title, kWidth - 2 * kPad, kTitleFont, true);
  const auto subtitle_lines =
      chart.subtitle.empty() ? std::vector<std::string>{} : svg::wrap(chart.subtitle, kWidth - 2 * kPad, kSubtitleFont);
  double y_cursor = kPad;
  const double title_baseline = y_cursor + svg::ascent(kTitleFont);
  y_cursor += static_cast<double>(title_lines.size()) * svg::line_height(kTitleFont);
  const double subtitle_baseline = y_cursor + svg::ascent(kSubtitleFont);
  y_cursor += static_cast<double>(subtitle_lines.size()) * svg::line_height(kSubtitleFont);
  const double top = y_cursor + 14, bottom = top + kPlotHeight;

  // Horizontal layout: y label, y tick labels, plot, gap, legend.
  auto Y = [&](double v) { return ya.to_pixel(v, bottom, top); };
  const auto y_ticks = thin_ticks(ya.ticks, Y, [](double) { return svg::line_height(kTickFont) / 2; }, 2);
  double tick_w = 0;
  for (double t : y_ticks) tick_w = std::max(tick_w, tick_label(ya, t).width());
  const auto y_label_lines = svg::wrap(chart.y_label, kPlotHeight, kLabelFont);
  const double y_label_w = static_cast<double>(y_label_lines.size()) * svg::line_height(kLabelFont);
  double first_x_half = 0, last_x_half = 0;
  if (!xa.ticks.empty()) {
    first_x_half = tick_label(xa, xa.ticks.front()).width() / 2;
    last_x_half = tick_label(xa, xa.ticks.back()).width() / 2;
  }
  const double left = std::max(kPad + y_label_w + 6 + tick_w + kTick + 4, kPad + first_x_half + 2);
  const double right = kWidth - kPad - legend_w - (legend.empty() ? last_x_half + 2 : std::max(20.0, last_x_half + 10));
  auto X = [&](double v) { return xa.to_pixel(v, left, right); };
  const auto x_ticks = thin_ticks(xa.ticks, X, [&](double v) { return tick_label(xa, v).width() / 2; }, 8);

  const double x_tick_baseline = bottom + kTick + 3 + svg::ascent(kTickFont);
  const auto x_label_lines = svg::wrap(chart.x_label, right - left, kLabelFont);
  const double x_label_baseline = x_tick_baseline + svg::descent(kTickFont) + 8 + svg::ascent(kLabelFont);
  double height = x_label_baseline + static_cast<double>(x_label_lines.size() - 1) * svg::line_height(kLabelFont) +
                  svg::descent(kLabelFont) + kPad;
  double legend_h = 0;
  for (const auto& e : legend) legend_h += e.height();
  height = std::max(height, top + legend_h + kPad);

  std::string out = svg::open(kWidth, height, chart.title);
  out += text_lines(kWidth / 2, title_baseline, title_lines, kTitleFont,
                    "text-anchor=\"middle\" font-weight=\"bold\" fill=\"#222\"");
  out += text_lines(kWidth / 2, subtitle_baseline, subtitle_lines, kSubtitleFont, "text-anchor=\"middle\" fill=\"#444\"");

  // Grid, ticks and tick labels.
  for (double t : ya.ticks) out += svg::line(left, Y(t), right, Y(t), "stroke=\"#e6e6e6\"");
  for (double t : xa.ticks) out += svg::line(X(t), top, X(t), bottom, "stroke=\"#eeeeee\"");
  for (double t : ya.minor) out += svg::line(left - 3, Y(t), left, Y(t), "stroke=\"#666\"");
  for (double t : xa.minor) out += svg::line(X(t), bottom, X(t), bottom + 3, "stroke=\"#666\"");
  for (double t : y_ticks) {
    out += svg::line(left - kTick, Y(t), left, Y(t), "stroke=\"#666\"");
    out += tick_label(ya, t).draw(left - kTick - 4, Y(t) + 4, "text-anchor=\"end\" font-size=\"11\" fill=\"#444\"");
  }
  for (double t : x_ticks) {
    out += svg::line(X(t), bottom, X(t), bottom + kTick, "stroke=\"#666\"");
    out += tick_label(xa, t).draw(X(t), x_tick_baseline, "text-anchor=\"middle\" font-size=\"11\" fill=\"#444\"");
  }
  out += "<rect x=\"" + svg::px(left) + "\" y=\"" + svg::px(top) + "\" width=\"" + svg::px(right - left) +
         "\" height=\"" + svg::px(bottom - top) + "\" fill=\"none\" stroke=\"#666\"/>\n";
  out += text_lines((left + right) / 2, x_label_baseline, x_label_lines, kLabelFont, "text-anchor=\"middle\" fill=\"#222\"");
  // The y label reads bottom to top; rotated, its glyphs reach from the baseline to the left.
  for (size_t i = 0; i < y_label_lines.size(); ++i) {
    const double x = kPad + svg::ascent(kLabelFont) + static_cast<double>(i) * svg::line_height(kLabelFont);
    const double y = (top + bottom) / 2;
    out += svg::text(x, y, y_label_lines[i],
                     "text-anchor=\"middle\" font-size=\"13\" fill=\"#222\" transform=\"rotate(-90 " + svg::px(x) + " " +
                         svg::px(y) + ")\"");
  }

  // Reference levels under the data (named in the legend).
  for (const auto& [value, label] : hlines)
    out += svg::line(left, Y(value), right, Y(value), "stroke=\"#555555\" stroke-width=\"1.4\" stroke-dasharray=\"2 3\"");
  for (const auto& s : series) {
    if (!s.line || s.points.size() < 2) continue;
    std::string pts;
    for (const auto& [x, y] : s.points) pts += (pts.empty() ? "" : " ") + svg::px(X(x)) + "," + svg::px(Y(y));
    out += "<polyline points=\"" + pts + "\" fill=\"none\" stroke=\"" + s.color +
           "\" stroke-width=\"2.2\" stroke-linejoin=\"round\"" + dash_attr(s.dashed) + "/>\n";
  }
  for (size_t i = 0; i < series.size(); ++i) {
    const auto& s = series[i];
    if (!shape_of[i]) continue;
    for (const auto& [x, y] : s.points)
      out += marker(*shape_of[i], X(x), Y(y), s.color, s.dashed,
                    s.name + ": " + chart.x_label + " = " + format_number(x, 6) + ", " + chart.y_label + " = " +
                        format_number(y, 6));
  }
  if (xr.empty())
    out += svg::text((left + right) / 2, (top + bottom) / 2, "no data", "text-anchor=\"middle\" font-size=\"14\" fill=\"#999\"");

  // Legend, in its own column right of the plot.
  const double lx = kWidth - kPad - legend_w;
  double ly = top;
  for (const auto& e : legend) {
    const double mid = ly + svg::line_height(kLegendFont) / 2;
    if (e.line)
      out += svg::line(lx, mid, lx + kSwatch, mid,
                       "stroke=\"" + e.color + "\" stroke-width=\"" + (e.dotted ? "1.4" : "2.2") + "\"" +
                           (e.dotted ? " stroke-dasharray=\"2 3\"" : dash_attr(e.dashed)));
    if (e.marker) out += marker(*e.marker, lx + kSwatch / 2, mid, e.color, e.dashed, "");
    out += text_lines(lx + kSwatch + 8, mid + 4, e.lines, kLegendFont, "fill=\"#222\"");
    ly += e.height();
  }
  return out + svg::close();
}

}  // namespace kpg::report
