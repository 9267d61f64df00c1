#include "tutorials/memory/traffic_diagram.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "report/text_format.hpp"
#include "tutorials/tutorial.hpp"

namespace kpg::memory {
namespace {

constexpr const char* kLegend =
    "  ---> read from device memory into the SMs   <=== written back to device memory\n"
    "  arrow length follows the bytes (one scale for the whole picture)\n";

int64_t largest_transfer(const std::vector<VariantTraffic>& variants) {
  int64_t largest = 0;
  for (const auto& v : variants)
    for (const auto& k : v.kernels) {
      for (const auto& r : k.reads) largest = std::max(largest, r.bytes);
      for (const auto& w : k.writes) largest = std::max(largest, w.bytes);
    }
  return largest;
}

size_t name_width(const std::vector<VariantTraffic>& variants) {
  size_t width = 6;
  for (const auto& v : variants)
    for (const auto& k : v.kernels) {
      for (const auto& r : k.reads) width = std::max(width, r.buffer.size());
      for (const auto& w : k.writes) width = std::max(width, w.buffer.size());
    }
  return width;
}

std::string launches(size_t n) { return std::to_string(n) + (n == 1 ? " launch" : " launches"); }

}  // namespace

int arrow_length(int64_t bytes, int64_t largest, int width) {
  if (bytes <= 0 || largest <= 0) return 0;
  const double scaled = static_cast<double>(width) * static_cast<double>(bytes) / static_cast<double>(largest);
  return std::max(1, static_cast<int>(std::lround(scaled)));
}

std::string render_traffic_diagram(const std::string& title, const std::vector<VariantTraffic>& variants,
                                   int arrow_width) {
  const int64_t largest = largest_transfer(variants);
  const size_t names = name_width(variants);
  const auto pad = static_cast<size_t>(arrow_width) + 2;  // arrow body plus its head
  std::string out = title + "\n" + kLegend;

  for (const auto& v : variants) {
    out += fmt::format("\n  {}{}: {}, {} through device memory ({} read, {} written)\n", v.variant,
                       v.space.empty() || v.space == v.variant ? "" : " (" + v.space + ")", launches(v.kernels.size()),
                       fmt_bytes(v.total_bytes()), fmt_bytes(v.read_bytes()), fmt_bytes(v.write_bytes()));
    if (!v.note.empty()) {  // wrapped under its label, to fit the lesson's width
      const std::string label = "    note: ";
      const auto lines = report::wrap_text(v.note, report::kLessonWidth - label.size());
      for (size_t i = 0; i < lines.size(); ++i)
        out += (i == 0 ? label : std::string(label.size(), ' ')) + lines[i] + "\n";
    }
    for (size_t i = 0; i < v.kernels.size(); ++i) {
      const auto& k = v.kernels[i];
      out += fmt::format("    #{} {}\n", i + 1, k.kernel);
      for (const auto& r : k.reads) {
        const std::string arrow = std::string(static_cast<size_t>(arrow_length(r.bytes, largest, arrow_width)), '-') + ">";
        out += fmt::format("      {:<{}} {:>9}  DRAM {:<{}} SM\n", r.buffer, names, fmt_bytes(r.bytes), arrow, pad);
      }
      for (const auto& w : k.writes) {
        const std::string arrow = "<" + std::string(static_cast<size_t>(arrow_length(w.bytes, largest, arrow_width)), '=');
        out += fmt::format("      {:<{}} {:>9}  DRAM {:<{}} SM\n", w.buffer, names, fmt_bytes(w.bytes), arrow, pad);
      }
    }
  }

  // Totals: one bar per variant on a shared scale, and each variant against the smallest.
  int64_t most = 0, least = 0;
  for (const auto& v : variants) {
    most = std::max(most, v.total_bytes());
    if (v.total_bytes() > 0 && (least == 0 || v.total_bytes() < least)) least = v.total_bytes();
  }
  size_t variant_names = 0;
  for (const auto& v : variants) variant_names = std::max(variant_names, v.variant.size());
  out += "\n  bytes through device memory (read + written), per variant:\n";
  for (const auto& v : variants) {
    const std::string bar(static_cast<size_t>(arrow_length(v.total_bytes(), most, arrow_width)), '#');
    std::string ratio;
    if (least > 0 && v.total_bytes() != least)
      ratio = fmt::format("  {:.2f}x the least", static_cast<double>(v.total_bytes()) / static_cast<double>(least));
    out += fmt::format("    {:<{}} {:<{}} {:>9}  {}{}\n", v.variant, variant_names, bar,
                       static_cast<size_t>(arrow_width), fmt_bytes(v.total_bytes()), launches(v.kernels.size()), ratio);
  }
  return out;
}

}  // namespace kpg::memory
