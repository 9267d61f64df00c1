#pragma once
// Self-contained SVG charts (no scripts, fonts or external files), valid XML, readable
// on their own or inlined in the HTML report: a line chart and a heat map. Their layout
// comes from the extents of the text they hold (svg_writer.hpp): margins fit the tick
// labels, titles wrap, and the legend has its own column beside the plot, so no text is
// clipped or drawn over other text.

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace kpg::report {

struct Series {
  std::string name;
  std::vector<std::pair<double, double>> points;  // (x, y); drawn sorted by x
  std::string color;                              // any SVG color; empty picks from a palette
  bool dashed = false;                            // dashed line and hollow markers
  bool markers = true;                            // a marker at each point: measured values
  bool line = true;                               // points joined by a line
};

enum class Scale { linear, log2, log10 };

struct Chart {
  std::string title, x_label, y_label;
  Scale x_scale = Scale::linear;  // log2 for sizes (256, 512, 1K, ...), log10 for rooflines
  Scale y_scale = Scale::linear;
  std::vector<Series> series;
  std::vector<std::pair<double, std::string>> hlines;  // reference levels, e.g. copy bandwidth
  std::string subtitle = {};                           // a smaller line under the title
};

// Line chart with axes, nice ticks (1-2-5 steps; powers on log axes, with minor ticks on
// log10) and grid, markers (hover shows the values) and dotted horizontal reference
// lines; the legend, right of the plot, names every series and reference line. A linear
// y axis starts at 0 when every value is positive. Points that a log axis cannot show
// (<= 0, non-finite) are skipped.
std::string render_svg(const Chart& chart);

struct HeatMap {
  std::string title, x_label, y_label;
  std::vector<std::string> x_values, y_values;            // column and row labels
  std::vector<std::vector<std::optional<double>>> cells;  // [row][column]; missing = pruned/failed
  std::string unit;                                       // shown on the color bar, e.g. "ms"
  bool lower_is_better = true;
};

// Grid of colored cells with their values, best cell outlined, missing cells grey, and a
// color bar (viridis; brightest = best). Colors follow a log scale when the values span
// more than 20x. Throws kpg::Error when `cells` does not match the label counts.
std::string render_svg(const HeatMap& map);

}  // namespace kpg::report
