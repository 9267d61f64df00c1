#include "tuner/output_check.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <string>
#include <thread>

#include "runtime/error.hpp"

namespace kpg {
namespace {

// Below this, starting threads costs about as much as the work they would share.
constexpr size_t kParallelMin = size_t{1} << 20;

bool matches(double out, double ref, const Tolerance& tol) {
  if (std::isnan(ref)) return std::isnan(out);
  if (std::isinf(ref)) return out == ref;
  if (!std::isfinite(out)) return false;
  return std::abs(out - ref) <= tol.abs + tol.rel * std::abs(ref);
}

struct BadElement {
  int64_t index = -1;
  double excess = 0, value = 0, expected = 0;
};

// One chunk's share of the check. The serial scan takes the first bad element as the worst, then
// any later one of strictly larger excess. A NaN excess (a NaN tolerance bound, e.g. rel = inf at
// ref = 0) is never larger, so it wins only as the very first bad element, and then stays. Merging
// chunks in order reproduces that from `first` and `top`.
struct Partial {
  int64_t checked = 0, bad = 0;
  double max_abs_err = 0, max_rel_err = 0;
  BadElement first;  // the first bad element
  BadElement top;    // the first one of the largest non-NaN excess
};

void keep_top(BadElement& top, const BadElement& e) {
  if (e.index >= 0 && !std::isnan(e.excess) && (top.index < 0 || e.excess > top.excess)) top = e;
}

void compare_range(const std::vector<double>& actual, const std::vector<double>& expected, const Tolerance& tol,
                   size_t begin, size_t end, Partial& p) {
  for (size_t i = begin; i < end; ++i) {
    const double o = actual[i], r = expected[i];
    ++p.checked;
    const double err = std::abs(o - r);
    if (std::isfinite(err)) {
      p.max_abs_err = std::max(p.max_abs_err, err);
      if (r != 0) p.max_rel_err = std::max(p.max_rel_err, err / std::abs(r));
    }
    if (matches(o, r, tol)) continue;
    ++p.bad;
    const double excess = std::isfinite(err) ? err - (tol.abs + tol.rel * std::abs(r))
                                             : std::numeric_limits<double>::infinity();
    const BadElement e{static_cast<int64_t>(i), excess, o, r};
    if (p.first.index < 0) p.first = e;
    keep_top(p.top, e);
  }
}

std::string format_double(double x) {
  std::ostringstream os;
  os.precision(6);
  os << x;
  return os.str();
}

}  // namespace

std::string OutputCheck::describe() const {
  std::ostringstream os;
  os << buffer << ": " << bad << " of " << checked << " elements off";
  if (worst_index >= 0)
    os << ", worst [" << worst_index << "] = " << format_double(worst_value) << ", expected "
       << format_double(worst_expected);
  os << " (max abs err " << format_double(max_abs_err) << ")";
  return os.str();
}

std::string CheckReport::describe() const {
  std::string s;
  for (const auto& o : outputs)
    if (!o.ok) s += (s.empty() ? "" : "; ") + o.describe();
  return s.empty() ? "ok" : s;
}

size_t chunk_count(size_t n) {
  if (n < kParallelMin) return 1;
  return std::clamp<size_t>(std::thread::hardware_concurrency(), 1, n / (kParallelMin / 4));
}

void for_each_chunk(size_t n, size_t chunks, const std::function<void(size_t chunk, size_t begin, size_t end)>& f) {
  chunks = std::max<size_t>(chunks, 1);
  const auto begin = [&](size_t c) { return c * (n / chunks) + std::min(c, n % chunks); };
  std::vector<std::thread> threads;
  threads.reserve(chunks - 1);
  try {
    for (size_t c = 1; c < chunks; ++c)
      threads.emplace_back([&f, c, b = begin(c), e = begin(c + 1)] { f(c, b, e); });
    f(0, begin(0), begin(1));
  } catch (...) {  // a thread that failed to start, or f on this one: join the others first
    for (auto& t : threads) t.join();
    throw;
  }
  for (auto& t : threads) t.join();
}

OutputCheck compare_output(const std::vector<double>& actual, const std::vector<double>& expected,
                           const Tolerance& tol, const std::vector<IndexRange>& ranges, size_t chunks) {
  size_t total = 0;
  for (const auto& r : ranges) {
    if (r.begin > r.end || r.end > std::min(actual.size(), expected.size()))
      throw Error("output check: range [" + std::to_string(r.begin) + ", " + std::to_string(r.end) +
                  ") is outside the " + std::to_string(std::min(actual.size(), expected.size())) + " elements");
    total += r.end - r.begin;
  }
  if (chunks == 0) chunks = chunk_count(total);
  // Chunks are pieces of the concatenated ranges, so chunk order is scan order.
  std::vector<Partial> partials(chunks);
  for_each_chunk(total, chunks, [&](size_t chunk, size_t begin, size_t end) {
    Partial p;  // local: neighbouring partials share cache lines
    size_t offset = 0;  // of the current range in the concatenation
    for (const auto& r : ranges) {
      const size_t len = r.end - r.begin;
      const size_t lo = std::max(begin, offset), hi = std::min(end, offset + len);
      if (lo < hi) compare_range(actual, expected, tol, r.begin + lo - offset, r.begin + hi - offset, p);
      offset += len;
      if (offset >= end) break;
    }
    partials[chunk] = p;
  });

  Partial all;
  for (const auto& p : partials) {
    all.checked += p.checked;
    all.bad += p.bad;
    all.max_abs_err = std::max(all.max_abs_err, p.max_abs_err);
    all.max_rel_err = std::max(all.max_rel_err, p.max_rel_err);
    if (all.first.index < 0) all.first = p.first;
    keep_top(all.top, p.top);
  }
  const BadElement& worst = std::isnan(all.first.excess) ? all.first : all.top;
  OutputCheck c;
  c.checked = all.checked;
  c.bad = all.bad;
  c.ok = all.bad == 0;
  c.max_abs_err = all.max_abs_err;
  c.max_rel_err = all.max_rel_err;
  c.worst_index = worst.index;
  c.worst_value = worst.value;
  c.worst_expected = worst.expected;
  return c;
}

}  // namespace kpg
