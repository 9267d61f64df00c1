#pragma once
// The SVG building blocks the chart writers share, and the text metrics their layout is
// computed from: every margin, legend and label position follows from the width and
// height of the text it must hold, so nothing is clipped or drawn over other text.

#include <string>
#include <string_view>
#include <vector>

namespace kpg::report::svg {

// DejaVu Sans first: its metrics are the ones text_width() knows (it is also matplotlib's
// default font); Verdana has nearly the same widths, Arial and Helvetica are narrower.
constexpr const char* kFont = "font-family=\"DejaVu Sans, Verdana, Arial, Helvetica, sans-serif\"";

// Pixel coordinate with one decimal: small files, no visible rounding.
std::string px(double v);
// <svg> root with size, viewBox, white background and an accessible <title>.
std::string open(double width, double height, std::string_view title);
std::string close();
// A <text> element; `attrs` are extra raw attributes (already escaped), `text` is escaped here.
std::string text(double x, double y, std::string_view content, std::string_view attrs = "");
std::string line(double x1, double y1, double x2, double y2, std::string_view attrs);

// Advance width of `content` at `font_px` in DejaVu Sans (bold when asked), from the
// font's own advance widths for ASCII; any other character counts as one em.
double text_width(std::string_view content, double font_px, bool bold = false);
// Height of a line of text at `font_px`: the font's ascent plus descent (1.164 em for
// DejaVu Sans) with a little leading.
double line_height(double font_px);
// How far above the baseline a line's glyph box reaches (the ascent, 0.928 em) and how
// far below (the descent, 0.236 em).
double ascent(double font_px);
double descent(double font_px);
// Greedy wrap of `content` into lines at most `max_px` wide at `font_px` (breaking after
// spaces and commas; a word wider than the line is cut). At least one line.
std::vector<std::string> wrap(std::string_view content, double max_px, double font_px, bool bold = false);

// The i-th color of a qualitative palette that stays distinguishable for common color blindness.
std::string palette(size_t i);

}  // namespace kpg::report::svg
