#pragma once
// A results table and its plain-text rendering for the terminal.

#include <string>
#include <vector>

namespace kpg::report {

struct Table {
  std::string title;
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;  // each row has one cell per column
  std::vector<std::string> notes;              // printed under the table
};

// Throws kpg::Error naming the table and row when a row's cell count differs from the columns'.
void check_table(const Table& table);

// Per column: true when every non-empty cell looks like a number (with an optional short
// unit), ignoring placeholders "-" and "WRONG"; such columns are right-aligned.
std::vector<bool> numeric_columns(const Table& table);

// How wide printed tables may be: the terminal's width when standard output is one, else
// $COLUMNS when set, else no limit (a log file or a pipe keeps every row on one line).
size_t output_width();

// ASCII box drawing (+, -, |), numeric columns right-aligned, at most `max_width` columns
// wide: the widest columns are wrapped over several lines when the table would not fit.
std::string render_text(const Table& table, size_t max_width = output_width());

}  // namespace kpg::report
