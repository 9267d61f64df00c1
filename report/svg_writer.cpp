#include "report/svg_writer.hpp"

#include <algorithm>
#include <cstdio>

#include "report/text_format.hpp"

namespace kpg::report::svg {
namespace {

// DejaVu Sans advance widths of ' ' (0x20) to '~' (0x7e), regular and bold, in font units
// (2048 per em).
constexpr int kUnitsPerEm = 2048;
constexpr int kAdvance[95][2] = {
    {651, 713}, {821, 934}, {942, 1067}, {1716, 1716}, {1303, 1425}, {1946, 2052}, {1597, 1786}, {563, 627},
    {799, 936}, {799, 936}, {1024, 1071}, {1716, 1716}, {651, 778}, {739, 850}, {651, 778}, {690, 748},
    {1303, 1425}, {1303, 1425}, {1303, 1425}, {1303, 1425}, {1303, 1425}, {1303, 1425}, {1303, 1425}, {1303, 1425},
    {1303, 1425}, {1303, 1425}, {690, 819}, {690, 819}, {1716, 1716}, {1716, 1716}, {1716, 1716}, {1087, 1188},
    {2048, 2048}, {1401, 1585}, {1405, 1561}, {1430, 1503}, {1577, 1700}, {1294, 1399}, {1178, 1399}, {1587, 1681},
    {1540, 1714}, {604, 762}, {604, 762}, {1343, 1587}, {1141, 1305}, {1767, 2038}, {1532, 1714}, {1612, 1741},
    {1235, 1501}, {1612, 1741}, {1423, 1577}, {1300, 1475}, {1251, 1397}, {1499, 1663}, {1401, 1585}, {2025, 2259},
    {1403, 1579}, {1251, 1483}, {1403, 1485}, {799, 936}, {690, 748}, {799, 936}, {1716, 1716}, {1024, 1024},
    {1024, 1024}, {1255, 1382}, {1300, 1466}, {1126, 1214}, {1300, 1466}, {1260, 1389}, {721, 891}, {1300, 1466},
    {1298, 1458}, {569, 702}, {569, 702}, {1186, 1362}, {569, 702}, {1995, 2134}, {1298, 1458}, {1253, 1407},
    {1300, 1466}, {1300, 1466}, {842, 1010}, {1067, 1219}, {803, 979}, {1298, 1458}, {1212, 1335}, {1675, 1892},
    {1212, 1321}, {1212, 1335}, {1075, 1192}, {1303, 1458}, {690, 748}, {1303, 1458}, {1716, 1716}};

}  // namespace

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

double text_width(std::string_view content, double font_px, bool bold) {
  long units = 0;
  for (size_t i = 0; i < content.size(); ++i) {
    const auto c = static_cast<unsigned char>(content[i]);
    if (c >= 0x20 && c <= 0x7e) {
      units += kAdvance[c - 0x20][bold ? 1 : 0];
    } else if ((c & 0xc0) != 0x80) {  // the first byte of any other character: one em
      units += kUnitsPerEm;
    }
  }
  return static_cast<double>(units) * font_px / kUnitsPerEm;
}

double line_height(double font_px) { return font_px * 1.25; }
double ascent(double font_px) { return font_px * 0.928; }
double descent(double font_px) { return font_px * 0.236; }

std::vector<std::string> wrap(std::string_view content, double max_px, double font_px, bool bold) {
  std::vector<std::string> lines;
  std::string current;
  size_t start = 0;
  while (start < content.size()) {
    // The next piece: up to and including a break character.
    size_t end = content.find_first_of(" ,", start);
    end = end == std::string_view::npos ? content.size() : end + 1;
    std::string piece(content.substr(start, end - start));
    start = end;
    if (!current.empty() && text_width(current + piece, font_px, bold) > max_px) {
      while (!current.empty() && current.back() == ' ') current.pop_back();
      lines.push_back(current);
      current.clear();
    }
    current += piece;
    // A piece wider than a line on its own is cut where it overflows.
    while (text_width(current, font_px, bold) > max_px && current.size() > 1) {
      size_t cut = current.size() - 1;
      while (cut > 1 && text_width(current.substr(0, cut), font_px, bold) > max_px) --cut;
      while (cut > 1 && (static_cast<unsigned char>(current[cut]) & 0xc0) == 0x80) --cut;  // whole UTF-8 characters
      lines.push_back(current.substr(0, cut));
      current.erase(0, cut);
    }
  }
  while (!current.empty() && current.back() == ' ') current.pop_back();
  if (!current.empty() || lines.empty()) lines.push_back(current);
  return lines;
}

std::string palette(size_t i) {
  // Okabe-Ito, reordered so that the first two (typically fused / unfused) contrast most.
  static const char* colors[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                 "#E69F00", "#56B4E9", "#000000", "#F0E442"};
  return colors[i % (sizeof colors / sizeof colors[0])];
}

}  // namespace kpg::report::svg
