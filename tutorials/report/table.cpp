#include "tutorials/report/table.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <numeric>

#include "runtime/error.hpp"
#include "tutorials/report/text_format.hpp"

namespace kpg::report {
namespace {

constexpr size_t kMinColumnWidth = 6;

bool is_placeholder(const std::string& cell) { return cell.empty() || cell == "-" || cell == "WRONG"; }

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

// Greedy wrap to `width` display columns, preferring to break after a space, comma or
// slash so that "VEC=4, WARPS=8" splits between parameters.
std::vector<std::string> wrap(std::string_view text, size_t width) {
  std::vector<std::string> lines;
  while (display_width(text) > width) {
    const size_t limit = advance_code_points(text, width);
    size_t cut = text.substr(0, limit).find_last_of(" ,/");
    cut = (cut == std::string_view::npos || cut == 0) ? limit : cut + 1;
    std::string line(text.substr(0, cut));
    while (!line.empty() && line.back() == ' ') line.pop_back();
    lines.push_back(std::move(line));
    text.remove_prefix(cut);
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  }
  lines.emplace_back(text);
  return lines;
}

std::string pad(const std::string& s, size_t width, bool right) {
  const size_t fill = width - std::min(width, display_width(s));
  return right ? std::string(fill, ' ') + s : s + std::string(fill, ' ');
}

size_t longest_word(std::string_view text) {
  size_t longest = 0;
  while (!text.empty()) {
    const size_t end = std::min(text.find(' '), text.size());
    longest = std::max(longest, display_width(text.substr(0, end)));
    text.remove_prefix(std::min(end + 1, text.size()));
  }
  return longest;
}

// Column widths that fit `max_width`: full widths when they fit; else headers may wrap
// between words, the slack going to the columns closest to their full width first; and
// only if that is not enough, the widest columns are cut down (their cells wrap).
std::vector<size_t> fit_widths(const Table& table, size_t max_width) {
  const size_t n = table.columns.size();
  std::vector<size_t> full(n), narrow(n);
  for (size_t c = 0; c < n; ++c) {
    size_t cells = 0;
    for (const auto& row : table.rows) cells = std::max(cells, display_width(row[c]));
    full[c] = std::max(cells, display_width(table.columns[c]));
    narrow[c] = std::max(cells, longest_word(table.columns[c]));
  }
  const size_t frame = 3 * n + 1;  // "| " + " | " ... + " |"
  auto total = [&](const std::vector<size_t>& w) { return std::accumulate(w.begin(), w.end(), frame); };
  if (total(full) <= max_width) return full;
  std::vector<size_t> widths = narrow;
  if (total(widths) <= max_width) {
    size_t slack = max_width - total(widths);
    std::vector<size_t> order(n);
    std::iota(order.begin(), order.end(), size_t{0});
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return full[a] - narrow[a] < full[b] - narrow[b]; });
    for (size_t c : order) {
      const size_t grow = std::min(slack, full[c] - widths[c]);
      widths[c] += grow;
      slack -= grow;
    }
    return widths;
  }
  while (total(widths) > max_width) {
    auto widest = std::max_element(widths.begin(), widths.end());
    if (*widest <= kMinColumnWidth) break;  // cannot fit: keep the minimum, overflow
    --*widest;
  }
  return widths;
}

void append_row(std::string& out, const std::vector<std::string>& cells, const std::vector<size_t>& widths,
                const std::vector<bool>& right) {
  std::vector<std::vector<std::string>> wrapped;
  size_t height = 1;
  for (size_t c = 0; c < cells.size(); ++c) {
    wrapped.push_back(wrap(cells[c], widths[c]));
    height = std::max(height, wrapped.back().size());
  }
  for (size_t line = 0; line < height; ++line) {
    out += "|";
    for (size_t c = 0; c < cells.size(); ++c) {
      const std::string text = line < wrapped[c].size() ? wrapped[c][line] : "";
      out += " " + pad(text, widths[c], right[c]) + " |";
    }
    out += "\n";
  }
}

}  // namespace

void check_table(const Table& table) {
  for (size_t r = 0; r < table.rows.size(); ++r)
    if (table.rows[r].size() != table.columns.size())
      throw Error("table '" + table.title + "': row " + std::to_string(r) + " has " +
                  std::to_string(table.rows[r].size()) + " cells, expected " + std::to_string(table.columns.size()));
}

std::vector<bool> numeric_columns(const Table& table) {
  check_table(table);
  std::vector<bool> numeric(table.columns.size(), false);
  for (size_t c = 0; c < table.columns.size(); ++c) {
    bool any = false, all = true;
    for (const auto& row : table.rows) {
      if (is_placeholder(row[c])) continue;
      any = true;
      all = all && looks_numeric(row[c]);
    }
    numeric[c] = any && all;
  }
  return numeric;
}

size_t output_width() {
  constexpr size_t kUnlimited = 100000;
  if (isatty(STDOUT_FILENO)) {
    winsize size{};
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  }
  if (const char* columns = std::getenv("COLUMNS")) {
    const long n = std::strtol(columns, nullptr, 10);
    if (n > 20) return static_cast<size_t>(n);
  }
  return isatty(STDOUT_FILENO) ? 120 : kUnlimited;
}

std::string render_text(const Table& table, size_t max_width) {
  const std::vector<bool> right = numeric_columns(table);
  std::string out;
  if (!table.title.empty()) out += table.title + "\n";
  if (!table.columns.empty()) {
    const std::vector<size_t> widths = fit_widths(table, max_width);
    std::string rule = "+";
    for (size_t w : widths) rule += std::string(w + 2, '-') + "+";
    rule += "\n";
    out += rule;
    append_row(out, table.columns, widths, right);
    out += rule;
    for (const auto& row : table.rows) append_row(out, row, widths, right);
    if (!table.rows.empty()) out += rule;
  }
  for (const auto& note : table.notes)
    for (const auto& line : wrap(note, max_width > 2 ? max_width - 2 : max_width)) out += "  " + line + "\n";
  return out;
}

}  // namespace kpg::report
