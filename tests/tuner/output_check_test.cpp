// compare_output() and the threaded decode() against straightforward serial scans: counts, max
// errors and the worst element equal bit for bit, for any split into chunks, at sizes on both
// sides of the threading threshold; plus the planted answers themselves.
#include "tuner/output_check.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <thread>
#include <utility>
#include <vector>

#include "runtime/error.hpp"
#include "tuner/half.hpp"
#include "tuner/workload.hpp"

namespace kpg {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
const Tolerance kTol{1e-3, 1e-2};
constexpr size_t kLarge = 3'000'017;  // above the threading threshold

// The loop Workload::check() ran before compare_output(), kept as the specification.
OutputCheck serial_check(const std::vector<double>& out, const std::vector<double>& ref, const Tolerance& tol,
                         const std::vector<IndexRange>& ranges) {
  const auto matches = [&](double o, double r) {
    if (std::isnan(r)) return std::isnan(o);
    if (std::isinf(r)) return o == r;
    if (!std::isfinite(o)) return false;
    return std::abs(o - r) <= tol.abs + tol.rel * std::abs(r);
  };
  OutputCheck c;
  double worst_excess = -1;
  for (const auto& range : ranges) {
    for (size_t i = range.begin; i < range.end; ++i) {
      const double o = out[i], r = ref[i];
      ++c.checked;
      const double err = std::abs(o - r);
      if (std::isfinite(err)) {
        c.max_abs_err = std::max(c.max_abs_err, err);
        if (r != 0) c.max_rel_err = std::max(c.max_rel_err, err / std::abs(r));
      }
      if (matches(o, r)) continue;
      ++c.bad;
      const double excess = std::isfinite(err) ? err - (tol.abs + tol.rel * std::abs(r)) : kInf;
      if (excess > worst_excess || c.worst_index < 0) {
        worst_excess = excess;
        c.worst_index = static_cast<int64_t>(i);
        c.worst_value = o;
        c.worst_expected = r;
      }
    }
  }
  c.ok = c.bad == 0;
  return c;
}

uint64_t bits(double x) { return std::bit_cast<uint64_t>(x); }

// compare_output() with automatic and forced chunk counts, each equal to the serial scan; returns
// the automatic one.
OutputCheck check_all_splits(const std::vector<double>& out, const std::vector<double>& ref, const Tolerance& tol,
                             const std::vector<IndexRange>& ranges) {
  const OutputCheck want = serial_check(out, ref, tol, ranges);
  OutputCheck automatic;
  for (const size_t chunks : {0, 1, 2, 3, 7, 16}) {
    SCOPED_TRACE("chunks " + std::to_string(chunks));
    const OutputCheck got = compare_output(out, ref, tol, ranges, chunks);
    EXPECT_EQ(got.ok, want.ok);
    EXPECT_EQ(got.checked, want.checked);
    EXPECT_EQ(got.bad, want.bad);
    EXPECT_EQ(bits(got.max_abs_err), bits(want.max_abs_err));
    EXPECT_EQ(bits(got.max_rel_err), bits(want.max_rel_err));
    EXPECT_EQ(got.worst_index, want.worst_index);
    EXPECT_EQ(bits(got.worst_value), bits(want.worst_value));
    EXPECT_EQ(bits(got.worst_expected), bits(want.worst_expected));
    if (chunks == 0) automatic = got;
  }
  return automatic;
}

// A reference of normal values and an output off by less than half the tolerance everywhere.
struct Data {
  std::vector<double> out, ref;
  void plant(size_t i, double r, double o) {
    ref[i] = r;
    out[i] = o;
  }
};
Data near_reference(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> value(0, 2);
  std::uniform_real_distribution<double> noise(-0.5, 0.5);
  Data d{std::vector<double>(n), std::vector<double>(n)};
  for (size_t i = 0; i < n; ++i) {
    d.ref[i] = value(rng);
    d.out[i] = d.ref[i] + noise(rng) * (kTol.abs + kTol.rel * std::abs(d.ref[i]));
  }
  return d;
}

std::vector<IndexRange> whole(const Data& d) { return {{0, d.ref.size()}}; }

TEST(OutputCheck, ChunksCoverEveryIndexOnceInOrder) {
  for (const size_t n : {size_t{0}, size_t{1}, size_t{5}, size_t{781}, size_t{65537}}) {
    for (const size_t chunks : {1, 2, 3, 7, 16}) {
      SCOPED_TRACE("n " + std::to_string(n) + ", chunks " + std::to_string(chunks));
      std::vector<std::pair<size_t, size_t>> pieces(chunks, {~size_t{0}, 0});
      std::vector<int> visits(n);
      for_each_chunk(n, chunks, [&](size_t chunk, size_t begin, size_t end) {
        pieces[chunk] = {begin, end};
        for (size_t i = begin; i < end; ++i) ++visits[i];
      });
      EXPECT_EQ(pieces.front().first, 0u);
      EXPECT_EQ(pieces.back().second, n);
      for (size_t c = 1; c < chunks; ++c) EXPECT_EQ(pieces[c].first, pieces[c - 1].second);
      for (size_t c = 0; c < chunks; ++c) {
        const size_t len = pieces[c].second - pieces[c].first;
        EXPECT_TRUE(len == n / chunks || len == n / chunks + 1) << len;
      }
      EXPECT_EQ(std::count(visits.begin(), visits.end(), 1), static_cast<std::ptrdiff_t>(n));
    }
  }
}

TEST(OutputCheck, ThreadsOnlyForLargeOutputs) {
  EXPECT_EQ(chunk_count(0), 1u);
  EXPECT_EQ(chunk_count(65537), 1u);
  EXPECT_EQ(chunk_count((size_t{1} << 20) - 1), 1u);
  const size_t hw = std::max(1u, std::thread::hardware_concurrency());
  EXPECT_EQ(chunk_count(kLarge), std::min<size_t>(hw, kLarge / (size_t{1} << 18)));
  EXPECT_EQ(chunk_count(size_t{1} << 20), std::min<size_t>(hw, 4));
}

TEST(OutputCheck, SingleElement) {
  Data d = near_reference(1, 1);
  OutputCheck c = check_all_splits(d.out, d.ref, kTol, whole(d));
  EXPECT_TRUE(c.ok);
  EXPECT_EQ(c.checked, 1);
  EXPECT_EQ(c.bad, 0);
  EXPECT_EQ(c.worst_index, -1);
  EXPECT_GT(c.max_abs_err, 0);

  d.plant(0, 2.0, 2.5);
  c = check_all_splits(d.out, d.ref, kTol, whole(d));
  EXPECT_FALSE(c.ok);
  EXPECT_EQ(c.bad, 1);
  EXPECT_EQ(c.worst_index, 0);
  EXPECT_EQ(c.worst_value, 2.5);
  EXPECT_EQ(c.worst_expected, 2.0);
  EXPECT_EQ(c.max_abs_err, 0.5);
  EXPECT_EQ(c.max_rel_err, 0.25);
}

// Ties of equal excess in different chunks: the first one is the worst.
TEST(OutputCheck, FiniteErrorsWorstIsFirstOfLargestExcess) {
  for (const size_t n : {size_t{781}, size_t{65537}, kLarge}) {
    SCOPED_TRACE("n " + std::to_string(n));
    Data d = near_reference(n, n);
    d.plant(n / 10, 1.0, 1.25);
    d.plant(n / 3, 1.0, 1.5);  // excess 0.5 - 0.011, tied with the next
    d.plant(2 * n / 3 + 1, 1.0, 1.5);
    d.plant(n - 1, -1.0, -1.25);
    const OutputCheck c = check_all_splits(d.out, d.ref, kTol, whole(d));
    EXPECT_FALSE(c.ok);
    EXPECT_EQ(c.checked, static_cast<int64_t>(n));
    EXPECT_EQ(c.bad, 4);
    EXPECT_EQ(c.worst_index, static_cast<int64_t>(n / 3));
    EXPECT_EQ(c.worst_value, 1.5);
    EXPECT_EQ(c.worst_expected, 1.0);
    EXPECT_EQ(c.max_abs_err, 0.5);
    EXPECT_GE(c.max_rel_err, 0.5);
  }
}

// A NaN or inf written, or a finite value where inf is expected: excess +inf, so the first such
// element is the worst; their errors stay out of the max errors. NaN where NaN is expected matches.
TEST(OutputCheck, NonFiniteElementsAreWorstAndFirstOneWins) {
  for (const size_t n : {size_t{781}, size_t{65537}, kLarge}) {
    SCOPED_TRACE("n " + std::to_string(n));
    Data d = near_reference(n, n + 1);
    d.plant(n / 10, 1.0, 1.5);
    d.plant(n / 5, kNaN, kNaN);
    d.plant(n / 4, 3.0, kInf);
    d.plant(n / 2, 0.5, kNaN);
    d.plant(2 * n / 3, kInf, 7.0);
    d.plant(n - 2, 1.0, 1.5);
    OutputCheck c = check_all_splits(d.out, d.ref, kTol, whole(d));
    EXPECT_EQ(c.bad, 5);
    EXPECT_EQ(c.worst_index, static_cast<int64_t>(n / 4));
    EXPECT_EQ(c.worst_value, kInf);
    EXPECT_EQ(c.worst_expected, 3.0);
    EXPECT_EQ(c.max_abs_err, 0.5);

    d.plant(n / 4, 3.0, 3.0);  // now the NaN written at n/2 comes first
    c = check_all_splits(d.out, d.ref, kTol, whole(d));
    EXPECT_EQ(c.bad, 4);
    EXPECT_EQ(c.worst_index, static_cast<int64_t>(n / 2));
    EXPECT_TRUE(std::isnan(c.worst_value));
    EXPECT_EQ(c.worst_expected, 0.5);
  }
}

// rel = inf makes the bound NaN where the reference is 0: such an element is bad with a NaN
// excess, which the serial scan keeps only when it is the first bad element.
TEST(OutputCheck, NaNExcessWinsOnlyAsFirstBadElement) {
  const Tolerance loose{1e-3, kInf};
  for (const size_t n : {size_t{781}, kLarge}) {
    SCOPED_TRACE("n " + std::to_string(n));
    Data d = near_reference(n, n + 2);
    d.plant(n / 3, 0.0, 0.25);   // NaN excess
    d.plant(n / 2, 1.0, kInf);   // inf excess
    d.plant(n - 1, 0.0, -0.25);  // NaN excess
    OutputCheck c = check_all_splits(d.out, d.ref, loose, whole(d));
    EXPECT_EQ(c.bad, 3);
    EXPECT_EQ(c.worst_index, static_cast<int64_t>(n / 3));
    EXPECT_EQ(c.worst_value, 0.25);

    d.plant(n / 3, 1.0, 1.0);
    c = check_all_splits(d.out, d.ref, loose, whole(d));
    EXPECT_EQ(c.bad, 2);
    EXPECT_EQ(c.worst_index, static_cast<int64_t>(n / 2));
    EXPECT_EQ(c.worst_value, kInf);
  }
}

// A sampled reference: only the listed rows count, scanned in the order listed.
TEST(OutputCheck, SampledRowsOnly) {
  constexpr size_t kRowLen = 37;
  for (const size_t rows : {size_t{21}, kLarge / kRowLen}) {
    SCOPED_TRACE("rows " + std::to_string(rows));
    const size_t n = rows * kRowLen;
    Data d = near_reference(n, rows);
    std::vector<int64_t> listed;  // every other row: above the threading threshold for the large case
    for (size_t r = 0; r < rows; r += 2) listed.push_back(static_cast<int64_t>(r));
    std::vector<IndexRange> ranges;
    for (const int64_t r : listed) ranges.push_back({r * kRowLen, (r + 1) * kRowLen});
    const size_t last = static_cast<size_t>(listed.back());
    d.plant(1 * kRowLen + 3, 1.0, 9.0);  // row 1 is not listed: ignored
    d.plant(2 * kRowLen + 5, 1.0, 1.5);
    d.plant(last * kRowLen, 1.0, 1.5);  // ties with the one before
    d.plant(last * kRowLen + kRowLen - 1, 1.0, 1.25);
    OutputCheck c = check_all_splits(d.out, d.ref, kTol, ranges);
    EXPECT_EQ(c.checked, static_cast<int64_t>(listed.size() * kRowLen));
    EXPECT_EQ(c.bad, 3);
    EXPECT_EQ(c.worst_index, static_cast<int64_t>(2 * kRowLen + 5));
    EXPECT_EQ(c.max_abs_err, 0.5);

    // Rows out of order: the tie goes to the one scanned first.
    std::reverse(ranges.begin(), ranges.end());
    c = check_all_splits(d.out, d.ref, kTol, ranges);
    EXPECT_EQ(c.bad, 3);
    EXPECT_EQ(c.worst_index, static_cast<int64_t>(last * kRowLen));
  }
}

TEST(OutputCheck, RangeOutsideTheValuesThrows) {
  const std::vector<double> v(10, 1.0), shorter(9, 1.0);
  EXPECT_THROW(compare_output(v, v, kTol, {{5, 11}}), Error);
  EXPECT_THROW(compare_output(v, shorter, kTol, {{0, 10}}), Error);
  EXPECT_EQ(compare_output(v, shorter, kTol, {{0, 9}, {2, 4}}).checked, 11);
}

TEST(OutputCheck, DecodeMatchesPerElementConversion) {
  std::mt19937_64 rng(7);
  for (const DType dtype : {DType::f32, DType::f16, DType::bf16, DType::i32}) {
    for (const size_t n : {size_t{1}, size_t{781}, kLarge}) {
      SCOPED_TRACE("dtype " + std::to_string(static_cast<int>(dtype)) + ", n " + std::to_string(n));
      std::vector<uint8_t> bytes(n * dtype_bytes(dtype));
      for (auto& b : bytes) b = static_cast<uint8_t>(rng());
      const std::vector<double> got = decode(bytes, dtype);
      ASSERT_EQ(got.size(), n);
      size_t differing = 0;
      for (size_t i = 0; i < n; ++i) {
        const uint8_t* src = bytes.data() + i * dtype_bytes(dtype);
        uint16_t h = 0;
        uint32_t u = 0;
        if (dtype_bytes(dtype) == 2) std::memcpy(&h, src, 2);
        else std::memcpy(&u, src, 4);
        double want = 0;
        switch (dtype) {
          case DType::f32: want = std::bit_cast<float>(u); break;
          case DType::f16: want = half_to_float(h); break;
          case DType::bf16: want = bf16_to_float(h); break;
          case DType::i32: want = static_cast<int32_t>(u); break;
        }
        differing += bits(got[i]) != bits(want);
      }
      EXPECT_EQ(differing, 0u);
    }
  }
}

}  // namespace
}  // namespace kpg
