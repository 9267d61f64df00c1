#pragma once
// The few SVG building blocks the chart writers share.

#include <string>
#include <string_view>

namespace kpg::report::svg {

constexpr const char* kFont = "font-family=\"Helvetica, Arial, sans-serif\"";

// Pixel coordinate with one decimal: small files, no visible rounding.
std::string px(double v);
// <svg> root with size, viewBox, white background and an accessible <title>.
std::string open(double width, double height, std::string_view title);
std::string close();
// A <text> element; `attrs` are extra raw attributes (already escaped), `text` is escaped here.
std::string text(double x, double y, std::string_view content, std::string_view attrs = "");
std::string line(double x1, double y1, double x2, double y2, std::string_view attrs);
// Rough width of `content` at `font_px`, for layout (Helvetica averages ~0.55 em per char).
double text_width(std::string_view content, double font_px);
// The i-th color of a qualitative palette that stays distinguishable for common color blindness.
std::string palette(size_t i);

}  // namespace kpg::report::svg
