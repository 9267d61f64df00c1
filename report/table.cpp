#include "report/table.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <numeric>

#include "runtime/error.hpp"
#include "report/text_format.hpp"

namespace kpg::report {
namespace {

constexpr size_t kMinColumnWidth = 6;

bool is_placeholder(const std::string& cell) { return cell.empty() || cell == "-" || cell == "WRONG"; }

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
// between words, the slack unwrapping the headers closest to their full width first (a
// header is unwrapped whole or not at all: a part would split a word); and only if that
// is not enough, the widest columns are cut down (their cells wrap).
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
      if (full[c] - widths[c] > slack) continue;
      slack -= full[c] - widths[c];
      widths[c] = full[c];
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
    wrapped.push_back(wrap_text(cells[c], widths[c]));
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

// A line spanning the whole table (inner width `inner`), indented two spaces: the
// below_row cells of the row above.
void append_spanning(std::string& out, const std::string& text, size_t inner) {
  const size_t indent = inner > kMinColumnWidth + 2 ? 2 : 0;
  for (const auto& line : wrap_text(text, inner - indent))
    out += "| " + std::string(indent, ' ') + pad(line, inner - indent, false) + " |\n";
}

bool is_below_row(const Table& table, const std::string& column) {
  return std::find(table.below_row.begin(), table.below_row.end(), column) != table.below_row.end();
}

// The columns drawn as columns: all but the below_row ones (all of them if that leaves none).
std::vector<size_t> grid_column_indices(const Table& table) {
  std::vector<size_t> grid;
  for (size_t c = 0; c < table.columns.size(); ++c)
    if (!is_below_row(table, table.columns[c])) grid.push_back(c);
  if (grid.empty())
    for (size_t c = 0; c < table.columns.size(); ++c) grid.push_back(c);
  return grid;
}

std::vector<std::string> pick(const std::vector<std::string>& cells, const std::vector<size_t>& indices) {
  std::vector<std::string> out;
  for (size_t i : indices) out.push_back(cells[i]);
  return out;
}

// "name: value; name: value" for a row's below_row cells that are not empty.
std::string below_row_text(const Table& table, const std::vector<std::string>& row, const std::vector<size_t>& grid) {
  std::string text;
  for (size_t c = 0; c < table.columns.size(); ++c) {
    if (std::find(grid.begin(), grid.end(), c) != grid.end() || row[c].empty()) continue;
    text += (text.empty() ? "" : "; ") + table.columns[c] + ": " + row[c];
  }
  return text;
}

}  // namespace

void check_table(const Table& table) {
  for (const auto& name : table.below_row)
    if (std::find(table.columns.begin(), table.columns.end(), name) == table.columns.end())
      throw Error("table '" + table.title + "': below_row names '" + name + "', which is not one of its columns");
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
  check_table(table);
  const std::vector<size_t> grid = grid_column_indices(table);
  Table drawn{table.title, pick(table.columns, grid), {}, {}};
  std::vector<std::string> below;  // per row
  size_t below_width = 0;
  for (const auto& row : table.rows) {
    drawn.rows.push_back(pick(row, grid));
    below.push_back(below_row_text(table, row, grid));
    below_width = std::max(below_width, display_width(below.back()));
  }
  const std::vector<bool> right = numeric_columns(drawn);
  std::string out;
  if (!table.title.empty()) out += table.title + "\n";
  if (!drawn.columns.empty()) {
    std::vector<size_t> widths = fit_widths(drawn, max_width);
    // Room for the lines under the rows: widen the last column up to the width allowed.
    const size_t total = std::accumulate(widths.begin(), widths.end(), 3 * widths.size() + 1);
    const size_t wanted = std::min(max_width, below_width + 6);
    if (below_width > 0 && total < wanted) widths.back() += wanted - total;
    std::string rule = "+";
    for (size_t w : widths) rule += std::string(w + 2, '-') + "+";
    rule += "\n";
    out += rule;
    append_row(out, drawn.columns, widths, right);
    out += rule;
    for (size_t r = 0; r < drawn.rows.size(); ++r) {
      append_row(out, drawn.rows[r], widths, right);
      if (!below[r].empty()) append_spanning(out, below[r], rule.size() - 5);
    }
    if (!table.rows.empty()) out += rule;
  }
  for (const auto& note : table.notes)
    for (const auto& line : wrap_text(note, max_width > 2 ? max_width - 2 : max_width)) out += "  " + line + "\n";
  return out;
}

std::string render_row_inline(const Table& table, const std::vector<std::string>& row, size_t max_width) {
  constexpr size_t kIndent = 2, kContinuation = 4;
  const std::string separator = " | ";
  std::string out, line(kIndent, ' ');
  size_t used = kIndent;
  bool line_empty = true;
  const auto new_line = [&] {
    out += line + "\n";
    line = std::string(kContinuation, ' ');
    used = kContinuation;
    line_empty = true;
  };
  for (size_t c = 0; c < row.size() && c < table.columns.size(); ++c) {
    const std::string item = table.columns[c] + " " + row[c];
    const size_t need = display_width(item) + (line_empty ? 0 : separator.size());
    if (!line_empty && used + need > max_width) new_line();
    if (!line_empty) {
      line += separator;
      used += separator.size();
    }
    // An item longer than a whole line starts a line of its own and wraps inside itself.
    const size_t width = max_width > kContinuation + kMinColumnWidth ? max_width - kContinuation : kMinColumnWidth;
    const auto parts = line_empty ? wrap_text(item, width) : std::vector<std::string>{item};
    for (size_t p = 0; p < parts.size(); ++p) {
      if (p > 0) new_line();
      line += parts[p];
      used += display_width(parts[p]);
      line_empty = false;
    }
  }
  out += line + "\n";
  return out;
}

}  // namespace kpg::report
