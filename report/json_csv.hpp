#pragma once
// Machine-readable forms of a Table, for scripts and spreadsheets.

#include <nlohmann/json.hpp>
#include <string>

#include "report/table.hpp"

namespace kpg::report {

// RFC 4180: a header line of column names, then one line per row, CRLF line ends; a field
// holding a comma, quote, CR or LF is quoted and its quotes doubled. Title and notes are
// not part of CSV and are left out.
std::string to_csv(const Table& table);

// An array with one object per row, keyed by column name in column order (ordered_json;
// it converts to nlohmann::json, whose keys are sorted, where that type is needed). A cell that is entirely a
// finite number becomes a JSON number (an integer when written without '.' or exponent),
// an empty cell null, anything else ("2.31x", "WRONG") a string.
nlohmann::ordered_json to_json(const Table& table);

}  // namespace kpg::report
