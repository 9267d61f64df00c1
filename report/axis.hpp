#pragma once
// Chart axes: the range and tick positions for linear and logarithmic scales, chosen at
// "nice" values (1, 2, 5 x 10^k; powers of two on a log2 axis), and the mapping to pixels.

#include <string>
#include <vector>

namespace kpg::report {

struct Axis {
  double lo = 0, hi = 1;       // data range covered by the axis
  int log_base = 0;            // 0: linear, 2 or 10: logarithmic
  std::vector<double> ticks;   // data values where ticks and grid lines go
  std::vector<double> minor;   // log10 axes: 2x..9x of each decade, ticked but not labelled
  int decimals = 0;            // linear axes: decimals the tick labels need

  // Pixel position of `value` when lo maps to `pixel_lo` and hi to `pixel_hi`.
  double to_pixel(double value, double pixel_lo, double pixel_hi) const;
  std::string label(double value) const;
};

// Linear axis over [min, max] with about `target_ticks` ticks; `include_zero` extends the
// range to 0 (honest bars and bandwidths).
Axis linear_axis(double min, double max, bool include_zero, int target_ticks = 6);
// Logarithmic axis over [min, max] (both > 0), from the power of `base` at or below min
// to the one at or above max; ticks thinned to at most about 12. Base 10 also gets the
// minor ticks in between.
Axis log_axis(double min, double max, int base);

}  // namespace kpg::report
