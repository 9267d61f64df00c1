#pragma once
// The roofline: a kernel can go no faster than its bytes over the memory bandwidth, nor
// its flops over the compute peak. Its arithmetic intensity (flops per byte moved) says
// which wall it hits. Drawn as a text chart for the terminal and as an SVG.

#include <optional>
#include <string>
#include <vector>

namespace kpg::memory {

struct ComputeCeiling {
  std::string label;  // "FMA f32, measured" / "tensor f16, datasheet"
  double gflops = 0;
};

struct RooflinePoint {
  std::string label;
  double intensity = 0;                   // flops per byte of device memory
  std::optional<double> achieved_gflops;  // measured; absent in theory mode
  size_t ceiling = 0;                     // index of the compute ceiling its flops run on
};

struct Roofline {
  std::string title;
  double bandwidth_gbs = 0;
  std::string bandwidth_label;  // "copy, measured" / "datasheet"
  std::vector<ComputeCeiling> compute;  // at least one
  std::vector<RooflinePoint> points;
};

// min(bandwidth x intensity, peak), in GFLOP/s.
double attainable_gflops(double intensity, double bandwidth_gbs, double peak_gflops);
// Intensity where the two walls meet: peak / bandwidth (flops per byte).
double ridge_intensity(double bandwidth_gbs, double peak_gflops);

// Log-log character chart, one letter per point (A, B, ...), then a legend that names
// each point, its intensity, the wall it meets and (when measured) its % of the roof.
// Points without a measurement are drawn on their roof with a lower-case letter; '*'
// marks a cell shared by several points.
// Throws kpg::Error without a compute ceiling or with a non-positive bandwidth.
std::string render_roofline_text(const Roofline& roofline, int width = 64, int height = 16);

// The same chart as a self-contained SVG (report/svg_chart.hpp), both axes log10: each
// roof a line, each kernel a marker (filled when measured, hollow when placed on its
// roof), named in the legend.
std::string render_roofline_svg(const Roofline& roofline);

}  // namespace kpg::memory
