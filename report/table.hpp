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
  // Columns that the text rendering prints under each row ("name: value; ...", wrapped
  // across the table) instead of as columns, so that long cells such as config ids keep the
  // table narrow. CSV, JSON and HTML keep them as ordinary columns.
  std::vector<std::string> below_row = {};
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
// The below_row columns follow each row on a line of their own that spans the table.
std::string render_text(const Table& table, size_t max_width = output_width());

// One row as "column value | column value | ...", for printing a row as soon as it is
// measured: wrapped between cells (inside a cell only when one is too long) into lines
// of at most `max_width` columns, continuation lines indented. Ends with a newline.
std::string render_row_inline(const Table& table, const std::vector<std::string>& row, size_t max_width);

}  // namespace kpg::report
