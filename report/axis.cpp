#include "report/axis.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "report/text_format.hpp"

namespace kpg::report {
namespace {

// The 1-2-2.5-5 x 10^k step nearest (in ratio) to span/target.
double nice_step(double span, int target) {
  const double raw = span / std::max(1, target);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double best = mag;
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0})
    if (std::abs(std::log(m * mag / raw)) < std::abs(std::log(best / raw))) best = m * mag;
  return best;
}

}  // namespace

double Axis::to_pixel(double value, double pixel_lo, double pixel_hi) const {
  double a = lo, b = hi, v = value;
  if (log_base) a = std::log(lo), b = std::log(hi), v = std::log(value);
  const double t = b > a ? (v - a) / (b - a) : 0.5;
  return pixel_lo + t * (pixel_hi - pixel_lo);
}

std::string Axis::label(double value) const {
  if (log_base == 2 && value >= 1024) {
    // Powers of two read better as 1K, 64K, 1M than as 65536.
    const double units[] = {1024.0 * 1024 * 1024, 1024.0 * 1024, 1024.0};
    const char* suffix[] = {"G", "M", "K"};
    for (int i = 0; i < 3; ++i)
      if (value >= units[i] && std::fmod(value, units[i]) == 0)
        return format_number(value / units[i]) + suffix[i];
  }
  if (log_base) return format_number(value);
  if (std::abs(value) >= 1e7) return format_number(value, 3);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  std::string s = buf;
  return s.find_first_not_of("-0.") == std::string::npos ? "0" : s;  // no "-0.0"
}

Axis linear_axis(double min, double max, bool include_zero, int target_ticks) {
  if (include_zero) min = std::min(min, 0.0), max = std::max(max, 0.0);
  if (!(max > min)) {  // one value (or none): open a small window around it
    const double pad = min == 0 ? 1.0 : std::abs(min) * 0.1;
    max = min + pad;
    if (!include_zero || min != 0) min -= pad;
  }
  Axis axis;
  const double step = nice_step(max - min, target_ticks);
  axis.lo = std::floor(min / step + 1e-9) * step;
  axis.hi = std::ceil(max / step - 1e-9) * step;
  for (double t = axis.lo; t <= axis.hi + step * 1e-6; t += step) axis.ticks.push_back(std::abs(t) < step * 1e-9 ? 0 : t);
  // Enough decimals to tell neighbouring ticks apart (2.5 steps need one more).
  axis.decimals = std::max(0, -static_cast<int>(std::floor(std::log10(step) + 1e-9)));
  if (std::abs(step / std::pow(10.0, std::floor(std::log10(step) + 1e-9)) - 2.5) < 1e-6) ++axis.decimals;
  return axis;
}

Axis log_axis(double min, double max, int base) {
  Axis axis;
  axis.log_base = base;
  const double lb = std::log(static_cast<double>(base));
  int e_lo = static_cast<int>(std::floor(std::log(min) / lb + 1e-9));
  int e_hi = static_cast<int>(std::ceil(std::log(max) / lb - 1e-9));
  if (e_hi == e_lo) --e_lo, ++e_hi;
  axis.lo = std::pow(base, e_lo);
  axis.hi = std::pow(base, e_hi);
  const int every = (e_hi - e_lo + 11) / 12;  // at most ~12 labelled powers
  for (int e = e_lo; e <= e_hi; e += every) axis.ticks.push_back(std::pow(base, e));
  // A base-10 axis over one or two decades gets 2x and 5x ticks too.
  if (base == 10 && e_hi - e_lo <= 2) {
    std::vector<double> more;
    for (int e = e_lo; e < e_hi; ++e)
      for (double m : {1.0, 2.0, 5.0}) more.push_back(m * std::pow(10.0, e));
    more.push_back(axis.hi);
    axis.ticks = more;
  }
  if (base == 10)
    for (int e = e_lo; e < e_hi; ++e)
      for (int m = 2; m <= 9; ++m) {
        const double v = m * std::pow(10.0, e);
        if (std::none_of(axis.ticks.begin(), axis.ticks.end(), [&](double t) { return std::abs(t / v - 1) < 1e-9; }))
          axis.minor.push_back(v);
      }
  return axis;
}

}  // namespace kpg::report
