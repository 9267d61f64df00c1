// The traffic diagram and the roofline chart of tutorial 4, drawn from counted numbers.
#include <gtest/gtest.h>

#include <algorithm>

#include <sstream>
#include <string>

#include "runtime/error.hpp"
#include "tutorials/memory/roofline.hpp"
#include "tutorials/memory/traffic_diagram.hpp"

namespace kpg::memory {
namespace {

// The softmax chains of 4096 x 1024 f32, written out by hand.
VariantTraffic softmax_unfused() {
  const int64_t m = 16 << 20, r = 16 << 10;
  return {"softmax", "unfused", "", "", {{"softmax_row_max", {{"x", m}}, {{"rowmax", r}}, 0},
                                         {"softmax_sub_exp", {{"x", m}, {"rowmax", r}}, {{"e", m}}, 0},
                                         {"softmax_row_sum", {{"e", m}}, {{"rowsum", r}}, 0},
                                         {"softmax_div", {{"e", m}, {"rowsum", r}}, {{"y", m}}, 0}}};
}

VariantTraffic softmax_fused() {
  const int64_t m = 16 << 20;
  return {"softmax", "fused", "warp_per_row", "", {{"softmax_warp", {{"x", m}}, {{"y", m}}, 0}}};
}

// The line of the diagram that starts (after indentation) with `prefix`, within the block of `variant`.
std::string line_of(const std::string& text, const std::string& variant, const std::string& prefix) {
  std::istringstream in(text);
  std::string line;
  bool inside = false;
  while (std::getline(in, line)) {
    if (line.rfind("  " + variant, 0) == 0) inside = true;
    if (inside && line.find("      " + prefix) == 0) return line;
  }
  return "";
}

TEST(MemoryDiagram, ArrowLengthIsProportionalAndNeverVanishes) {
  EXPECT_EQ(arrow_length(100, 100, 40), 40);
  EXPECT_EQ(arrow_length(50, 100, 40), 20);
  EXPECT_EQ(arrow_length(1, 1 << 30, 40), 1);
  EXPECT_EQ(arrow_length(0, 100, 40), 0);
}

TEST(MemoryDiagram, ReadsPointAtTheSmsWritesAtDeviceMemory) {
  const std::string d = render_traffic_diagram("softmax", {softmax_unfused(), softmax_fused()}, 40);
  const std::string x_read = line_of(d, "unfused", "x ");
  EXPECT_NE(x_read.find("DRAM " + std::string(40, '-') + ">"), std::string::npos) << d;
  const std::string rowmax_write = line_of(d, "unfused", "rowmax");
  EXPECT_NE(rowmax_write.find("DRAM <= "), std::string::npos) << d;  // 16 KB: the shortest arrow
  const std::string y_write = line_of(d, "fused", "y ");
  EXPECT_NE(y_write.find("DRAM <" + std::string(40, '=')), std::string::npos) << d;
  for (const char* kernel : {"#1 softmax_row_max", "#4 softmax_div", "#1 softmax_warp"})
    EXPECT_NE(d.find(kernel), std::string::npos) << kernel;
}

TEST(MemoryDiagram, TotalsCompareTheVariantsOnOneScale) {
  const std::string d = render_traffic_diagram("softmax", {softmax_unfused(), softmax_fused()}, 40);
  // unfused: 6 matrix transfers (x, x, e, e read; e, y written) + 4 row vectors; fused: 2.
  const double ratio = (6.0 * (16 << 20) + 4.0 * (16 << 10)) / (2.0 * (16 << 20));
  char expected[32];
  std::snprintf(expected, sizeof expected, "%.2fx the least", ratio);
  EXPECT_NE(d.find(expected), std::string::npos) << d;
  EXPECT_NE(d.find(std::string(40, '#')), std::string::npos);
  EXPECT_NE(d.find(" " + std::string(13, '#') + " "), std::string::npos) << d;  // 2 / 6.004 of 40
  EXPECT_NE(d.find("4 launches"), std::string::npos);
  EXPECT_NE(d.find("1 launch"), std::string::npos);
}

TEST(MemoryRoofline, WallsAndRidge) {
  EXPECT_DOUBLE_EQ(attainable_gflops(1.0, 3000, 60000), 3000);
  EXPECT_DOUBLE_EQ(attainable_gflops(100.0, 3000, 60000), 60000);
  EXPECT_DOUBLE_EQ(ridge_intensity(3000, 60000), 20);
}

TEST(MemoryRoofline, TextChartNamesEveryPointAndItsWall) {
  Roofline r{"test", 3000, "copy, measured", {{"FP32", 60000}, {"tensor", 900000}},
             {{"softmax fused", 0.625, 1800.0}, {"attention flash", 500, std::nullopt}, {"unknown", 0, std::nullopt}, {"flash on tensor cores", 500, std::nullopt, 1}}};
  const std::string text = render_roofline_text(r, 60, 14);
  EXPECT_NE(text.find("A softmax fused: 0.625 flops/byte, memory-bound, achieved 1.8 TFLOP/s = 96% of its roof"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("b attention flash: 500 flops/byte, compute-bound, roof 60 TFLOP/s (not measured)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("unknown: not drawn"), std::string::npos);
  EXPECT_NE(text.find("d flash on tensor cores: 500 flops/byte, compute-bound, roof 900 TFLOP/s"), std::string::npos)
      << text;
  const Roofline twins{"twins", 3000, "x", {{"FP32", 60000}}, {{"one", 0.25, std::nullopt}, {"two", 0.25, std::nullopt}}};
  const std::string shared = render_roofline_text(twins, 60, 14);
  EXPECT_NE(shared.substr(0, shared.find("memory wall")).find('*'), std::string::npos) << shared;
  EXPECT_NE(text.find("ridge at 20.0 flops/byte"), std::string::npos);
  EXPECT_NE(text.find('A'), std::string::npos);
  EXPECT_NE(text.find('/'), std::string::npos);
  const std::string svg = render_roofline_svg(r);
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_NE(svg.find("softmax fused"), std::string::npos);
  EXPECT_THROW(render_roofline_text(Roofline{"empty", 3000, "x", {}, {}}), Error);
}

// The SVG roofline reads like a plot: each roof one line through its ridge (no chain of
// markers), one marker per kernel (hollow when placed on its roof), log10 axes.
TEST(MemoryRoofline, SvgDrawsRoofsAsLinesAndKernelsAsMarkers) {
  const Roofline r{"Roofline", 3000, "copy", {{"FP32", 60000}, {"FP16 tensor", 900000}},
                   {{"measured kernel", 0.625, 1800.0}, {"placed kernel", 500, std::nullopt, 1}}};
  const std::string svg = render_roofline_svg(r);
  auto count = [&](const std::string& what) {
    size_t n = 0;
    for (size_t at = svg.find(what); at != std::string::npos; at = svg.find(what, at + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count("<polyline"), 2u) << svg;  // the two roofs
  // Three vertices per roof: the left edge, the ridge (20 and 300 flops/byte), the right edge.
  for (size_t at = svg.find("<polyline points=\""); at != std::string::npos; at = svg.find("<polyline points=\"", at + 1)) {
    const std::string points = svg.substr(at + 18, svg.find('"', at + 18) - at - 18);
    EXPECT_EQ(std::count(points.begin(), points.end(), ','), 3) << points;
  }
  // Two kernel markers plus their two legend samples; hover text only on the plotted ones.
  EXPECT_EQ(count("<title>measured kernel:"), 1u);
  EXPECT_EQ(count("<title>placed kernel:"), 1u);
  EXPECT_NE(svg.find("fill=\"#ffffff\""), std::string::npos);  // hollow: not measured
  EXPECT_NE(svg.find("hollow markers: kernels placed on their roof"), std::string::npos);
  EXPECT_NE(svg.find("memory roof: 3000 GB/s (copy)"), std::string::npos);
  EXPECT_NE(svg.find(">0.1<"), std::string::npos);   // log10 x ticks
  EXPECT_NE(svg.find(">1000<"), std::string::npos);
  EXPECT_NE(svg.find("roof: FP16 tensor (900 TFLOP/s)"), std::string::npos);
}

}  // namespace
}  // namespace kpg::memory
