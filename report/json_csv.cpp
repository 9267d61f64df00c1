#include "report/json_csv.hpp"

#include <charconv>

#include "report/text_format.hpp"

namespace kpg::report {
namespace {

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

void append_csv_line(std::string& out, const std::vector<std::string>& fields) {
  for (size_t i = 0; i < fields.size(); ++i) out += (i ? "," : "") + csv_field(fields[i]);
  out += "\r\n";
}

nlohmann::ordered_json cell_value(const std::string& cell) {
  if (cell.empty()) return nullptr;
  if (is_integer_literal(cell)) {
    const char* begin = cell.data() + (cell.front() == '+' ? 1 : 0);
    int64_t v = 0;
    std::from_chars(begin, cell.data() + cell.size(), v);
    return v;
  }
  if (const auto number = parse_number(cell)) return *number;
  return cell;
}

}  // namespace

std::string to_csv(const Table& table) {
  check_table(table);
  std::string out;
  append_csv_line(out, table.columns);
  for (const auto& row : table.rows) append_csv_line(out, row);
  return out;
}

nlohmann::ordered_json to_json(const Table& table) {
  check_table(table);
  auto rows = nlohmann::ordered_json::array();
  for (const auto& row : table.rows) {
    auto object = nlohmann::ordered_json::object();
    for (size_t c = 0; c < table.columns.size(); ++c) object[table.columns[c]] = cell_value(row[c]);
    rows.push_back(std::move(object));
  }
  return rows;
}

}  // namespace kpg::report
