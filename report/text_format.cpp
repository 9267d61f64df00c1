#include "report/text_format.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace kpg::report {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Length of the longest prefix of `s` that is a JSON-style number, 0 when none.
size_t number_prefix(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  const size_t int_start = i;
  while (i < s.size() && is_digit(s[i])) ++i;
  size_t digits = i - int_start;
  if (i + 1 < s.size() && s[i] == '.' && is_digit(s[i + 1])) {  // "12." keeps only "12"
    const size_t frac_start = ++i;
    while (i < s.size() && is_digit(s[i])) ++i;
    digits += i - frac_start;
  }
  if (digits == 0) return 0;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    size_t j = i + 1;
    if (j < s.size() && (s[j] == '-' || s[j] == '+')) ++j;
    const size_t exp_start = j;
    while (j < s.size() && is_digit(s[j])) ++j;
    if (j > exp_start) i = j;  // "2e" keeps only "2"
  }
  return i;
}

}  // namespace

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default:
        // Control characters other than tab/newline are not allowed in XML 1.0.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') out += ' ';
        else out += c;
    }
  }
  return out;
}

std::optional<double> parse_number(std::string_view text) {
  if (text.empty() || number_prefix(text) != text.size()) return std::nullopt;
  if (text.front() == '+') text.remove_prefix(1);
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) return std::nullopt;
  return value;
}

bool is_integer_literal(std::string_view text) {
  if (!parse_number(text) || text.find_first_of(".eE") != std::string_view::npos) return false;
  if (text.front() == '+') text.remove_prefix(1);
  long long v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  return ec == std::errc() && end == text.data() + text.size();
}

bool looks_numeric(std::string_view cell) {
  const size_t n = number_prefix(cell);
  if (n == 0) return false;
  std::string_view unit = cell.substr(n);
  if (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
  if (unit.size() > 5) return false;
  for (char c : unit)
    if (!(std::isalpha(static_cast<unsigned char>(c)) || c == '%' || c == '/')) return false;
  return true;
}

std::string format_number(double value, int significant) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  if (value == 0) return "0";
  const double mag = std::abs(value);
  char buf[64];
  if (mag >= 1e7 || mag < 1e-4) {
    std::snprintf(buf, sizeof buf, "%.*g", significant, value);
    return buf;
  }
  // Fixed notation with `significant` digits, but never rounding away integer digits.
  const int int_digits = static_cast<int>(std::floor(std::log10(mag))) + 1;
  const int decimals = std::max(0, significant - int_digits);
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  std::string s = buf;
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  return s == "-0" ? "0" : s;
}

size_t display_width(std::string_view utf8) {
  size_t w = 0;
  for (char c : utf8)
    if ((static_cast<unsigned char>(c) & 0xC0u) != 0x80u) ++w;
  return w;
}

namespace {

// Byte offset just after `count` code points of `s` (or s.size()).
size_t advance_code_points(std::string_view s, size_t count) {
  size_t i = 0;
  while (i < s.size() && count > 0) {
    ++i;
    while (i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0u) == 0x80u) ++i;
    --count;
  }
  return i;
}

}  // namespace

std::vector<std::string> wrap_text(std::string_view text, size_t width) {
  width = std::max<size_t>(width, 1);
  std::vector<std::string> lines;
  while (display_width(text) > width) {
    const size_t limit = advance_code_points(text, width);
    size_t cut = text.substr(0, limit).find_last_of(" ,/");
    if (text[limit] == ' ') cut = limit;  // the first `width` columns end a word
    else cut = (cut == std::string_view::npos || cut == 0) ? limit : cut + 1;
    std::string line(text.substr(0, cut));
    while (!line.empty() && line.back() == ' ') line.pop_back();
    lines.push_back(std::move(line));
    text.remove_prefix(cut);
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  }
  lines.emplace_back(text);
  return lines;
}

}  // namespace kpg::report
