#include "report/svg_writer.hpp"

#include <cstdio>

#include "report/text_format.hpp"

namespace kpg::report::svg {

std::string px(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  std::string s = buf;
  if (s.size() > 2 && s.compare(s.size() - 2, 2, ".0") == 0) s.resize(s.size() - 2);
  return s == "-0" ? "0" : s;
}

std::string open(double width, double height, std::string_view title) {
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + px(width) + "\" height=\"" + px(height) +
         "\" viewBox=\"0 0 " + px(width) + " " + px(height) + "\" " + kFont + ">\n<title>" + xml_escape(title) +
         "</title>\n<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n";
}

std::string close() { return "</svg>\n"; }

std::string text(double x, double y, std::string_view content, std::string_view attrs) {
  std::string out = "<text x=\"" + px(x) + "\" y=\"" + px(y) + "\"";
  if (!attrs.empty()) out += " " + std::string(attrs);
  return out + ">" + xml_escape(content) + "</text>\n";
}

std::string line(double x1, double y1, double x2, double y2, std::string_view attrs) {
  return "<line x1=\"" + px(x1) + "\" y1=\"" + px(y1) + "\" x2=\"" + px(x2) + "\" y2=\"" + px(y2) + "\" " +
         std::string(attrs) + "/>\n";
}

double text_width(std::string_view content, double font_px) {
  return static_cast<double>(display_width(content)) * font_px * 0.56;
}

std::string palette(size_t i) {
  // Okabe-Ito, reordered so that the first two (typically fused / unfused) contrast most.
  static const char* colors[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                 "#E69F00", "#56B4E9", "#000000", "#F0E442"};
  return colors[i % (sizeof colors / sizeof colors[0])];
}

}  // namespace kpg::report::svg
