#pragma once
// Small text helpers shared by the report writers: escaping, number recognition and
// compact number formatting, display width of UTF-8 text.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kpg::report {

// Escapes & < > " ' so the text is safe in XML/HTML element content and attribute values.
std::string xml_escape(std::string_view text);

// The whole string is a finite JSON-style number ("12", "-0.5", "1e-3"), else nullopt.
std::optional<double> parse_number(std::string_view text);
// True for an integer literal (no '.', no exponent) that fits int64.
bool is_integer_literal(std::string_view text);

// A number optionally followed by a short unit ("2.31x", "87.5%", "12 MiB", "0.5 ms"):
// what a table right-aligns. "4096x781" (digits after the unit) is not numeric.
bool looks_numeric(std::string_view cell);

// Compact, human-readable: 4 significant digits, no trailing zeros, exponent only for
// very large or small magnitudes ("1234", "0.01235", "1.5e+07").
std::string format_number(double value, int significant = 4);

// Characters as a terminal shows them: UTF-8 code points, not bytes.
size_t display_width(std::string_view utf8);

// Greedy wrap to `width` display columns, preferring to break after a space, comma or
// slash so that "VEC=4, WARPS=8" splits between parameters. At least one line.
std::vector<std::string> wrap_text(std::string_view text, size_t width);

// The lessons' terminal text (tables, diagrams, notes) fits this many columns; their
// report files keep everything in full.
constexpr size_t kLessonWidth = 100;

}  // namespace kpg::report
