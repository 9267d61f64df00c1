#include "report/svg_writer.hpp"

#include <algorithm>
#include <cstdio>

#include "report/text_format.hpp"

namespace kpg::report::svg {
namespace {

// DejaVu Sans advance widths of ' ' (0x20) to '~' (0x7e), in font units (2048 per em).
constexpr int kUnitsPerEm = 2048;
constexpr int kRegular[95] = {
    651,  821,  942,  1716, 1303, 1946, 1597, 563,  799,  799,  1024, 1716, 651,  739,  651,  690,  1303, 1303, 1303,
    1303, 1303, 1303, 1303, 1303, 1303, 1303, 690,  690,  1716, 1716, 1716, 1087, 2048, 1401, 1405, 1430, 1577, 1294,
    1178, 1587, 1540, 604,  604,  1343, 1141, 1767, 1532, 1612, 1235, 1612, 1423, 1300, 1251, 1499, 1401, 2025, 1403,
    1251, 1403, 799,  690,  799,  1716, 1024, 1024, 1255, 1300, 1126, 1300, 1260, 721,  1300, 1298, 569,  569,  1186,
    569,  1995, 1298, 1253, 1300, 1300, 842,  1067, 803,  1298, 1212, 1675, 1212, 1212, 1075, 1303, 690,  1303, 1716};
constexpr int kBold[95] = {
    713,  934,  1067, 1716, 1425, 2052, 1786, 627,  936,  936,  1071, 1716, 778,  850,  778,  748,  1425, 1425, 1425,
    1425, 1425, 1425, 1425, 1425, 1425, 1425, 819,  819,  1716, 1716, 1716, 1188, 2048, 1585, 1561, 1503, 1700, 1399,
    1399, 1681, 1714, 762,  762,  1587, 1305, 2038, 1714, 1741, 1501, 1741, 1577, 1475, 1397, 1663, 1585, 2259, 1579,
    1483, 1485, 936,  748,  936,  1716, 1024, 1024, 1382, 1466, 1214, 1466, 1389, 891,  1466, 1458, 702,  702,  1362,
    702,  2134, 1458, 1407, 1466, 1466, 1010, 1219, 979,  1458, 1335, 1892, 1321, 1335, 1192, 1458, 748,  1458, 1716};

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
  const int* widths = bold ? kBold : kRegular;
  long units = 0;
  for (size_t i = 0; i < content.size(); ++i) {
    const auto c = static_cast<unsigned char>(content[i]);
    if (c >= 0x20 && c <= 0x7e) {
      units += widths[c - 0x20];
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
