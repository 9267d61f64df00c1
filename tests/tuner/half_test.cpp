// Bit-exactness of the host float <-> f16/bf16 conversions: every 16-bit pattern
// round-trips, and floats exactly between two neighbours round to the even one.
#include "tuner/half.hpp"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

namespace kpg {
namespace {

uint32_t bits_of(float f) { return std::bit_cast<uint32_t>(f); }
float float_of(uint32_t u) { return std::bit_cast<float>(u); }
bool is_half_nan(uint16_t h) { return (h & 0x7C00u) == 0x7C00u && (h & 0x3FFu) != 0; }
bool is_bf16_nan(uint16_t h) { return (h & 0x7F80u) == 0x7F80u && (h & 0x7Fu) != 0; }

TEST(Half, EveryPatternRoundTrips) {
  for (uint32_t h = 0; h <= 0xFFFFu; ++h) {
    const auto bits = static_cast<uint16_t>(h);
    const float f = half_to_float(bits);
    if (is_half_nan(bits)) {
      ASSERT_TRUE(std::isnan(f)) << std::hex << h;
      const uint16_t back = float_to_half(f);
      ASSERT_TRUE(is_half_nan(back)) << std::hex << h;
      ASSERT_EQ(back & 0x8000u, bits & 0x8000u) << std::hex << h;
      continue;
    }
    ASSERT_EQ(float_to_half(f), bits) << std::hex << h;
  }
}

#if defined(__FLT16_MAX__)
// The compiler's own _Float16 (libgcc's software conversion, round-to-nearest-even) as an
// independent oracle for both directions.
TEST(Half, MatchesCompilerFloat16OnEveryPattern) {
  for (uint32_t h = 0; h <= 0xFFFFu; ++h) {
    const auto bits = static_cast<uint16_t>(h);
    const float mine = half_to_float(bits);
    const float theirs = static_cast<float>(std::bit_cast<_Float16>(bits));
    if (std::isnan(theirs)) {
      ASSERT_TRUE(std::isnan(mine)) << std::hex << h;
    } else {
      ASSERT_EQ(bits_of(mine), bits_of(theirs)) << std::hex << h;
    }
  }
}

TEST(Half, MatchesCompilerFloat16OnSampledFloats) {
  // A stride coprime with 2^32 visits every exponent and many mantissa tails.
  for (uint64_t u = 0; u <= 0xFFFFFFFFull; u += 4099) {
    const float f = float_of(static_cast<uint32_t>(u));
    const uint16_t mine = float_to_half(f);
    const auto theirs = std::bit_cast<uint16_t>(static_cast<_Float16>(f));
    if (std::isnan(f)) {
      ASSERT_TRUE(is_half_nan(mine)) << std::hex << u;
    } else {
      ASSERT_EQ(mine, theirs) << std::hex << u << " " << f;
    }
  }
}
#endif

TEST(Half, MidpointsRoundToEven) {
  // Every pair of adjacent finite positive halves, including subnormals and the
  // subnormal/normal boundary. The midpoint needs 12 significant bits: exact in float.
  for (uint16_t lo = 0; lo < 0x7BFFu; ++lo) {
    const auto hi = static_cast<uint16_t>(lo + 1);
    const double a = half_to_float(lo), b = half_to_float(hi);
    const auto mid = static_cast<float>((a + b) / 2);
    ASSERT_EQ(static_cast<double>(mid), (a + b) / 2);
    const uint16_t even = (lo & 1u) ? hi : lo;
    ASSERT_EQ(float_to_half(mid), even) << std::hex << lo;
    ASSERT_EQ(float_to_half(std::nextafter(mid, 0.0f)), lo) << std::hex << lo;
    ASSERT_EQ(float_to_half(std::nextafter(mid, 1e9f)), hi) << std::hex << lo;
    ASSERT_EQ(float_to_half(-mid), even | 0x8000u) << std::hex << lo;
  }
}

TEST(Half, EdgesOfTheRange) {
  EXPECT_EQ(float_to_half(65504.0f), 0x7BFFu);                        // largest finite
  EXPECT_EQ(float_to_half(65519.996f), 0x7BFFu);                      // just below the midpoint to inf
  EXPECT_EQ(float_to_half(65520.0f), 0x7C00u);                        // midpoint: ties to even = inf
  EXPECT_EQ(float_to_half(1e6f), 0x7C00u);
  EXPECT_EQ(float_to_half(-1e6f), 0xFC00u);
  EXPECT_EQ(float_to_half(std::numeric_limits<float>::infinity()), 0x7C00u);
  EXPECT_EQ(float_to_half(std::ldexp(1.0f, -24)), 0x0001u);           // smallest subnormal
  EXPECT_EQ(float_to_half(std::ldexp(1.0f, -25)), 0x0000u);           // half of it: tie to even (0)
  EXPECT_EQ(float_to_half(std::ldexp(1.5f, -25)), 0x0001u);
  EXPECT_EQ(float_to_half(std::ldexp(1.0f, -14)), 0x0400u);           // smallest normal
  EXPECT_EQ(float_to_half(std::numeric_limits<float>::denorm_min()), 0x0000u);
  EXPECT_EQ(float_to_half(-0.0f), 0x8000u);
  EXPECT_EQ(float_to_half(1.0f), 0x3C00u);
  EXPECT_EQ(half_to_float(0x3555u), 0.333251953125f);
  // A NaN whose payload sits only in the low bits must not collapse into inf.
  EXPECT_TRUE(is_half_nan(float_to_half(float_of(0x7F800001u))));
  EXPECT_TRUE(is_half_nan(float_to_half(float_of(0xFF800001u))));
}

TEST(Bf16, EveryPatternRoundTrips) {
  for (uint32_t h = 0; h <= 0xFFFFu; ++h) {
    const auto bits = static_cast<uint16_t>(h);
    const float f = bf16_to_float(bits);
    ASSERT_EQ(bits_of(f), h << 16);
    if (is_bf16_nan(bits)) {
      ASSERT_TRUE(is_bf16_nan(float_to_bf16(f))) << std::hex << h;
      continue;
    }
    ASSERT_EQ(float_to_bf16(f), bits) << std::hex << h;
  }
}

TEST(Bf16, MidpointsRoundToEven) {
  // The float exactly between bf16 patterns lo and lo+1 has low half 0x8000.
  for (uint32_t lo = 0; lo < 0x7F7Fu; ++lo) {
    const uint32_t mid = (lo << 16) | 0x8000u;
    const uint32_t even = (lo & 1u) ? lo + 1 : lo;
    ASSERT_EQ(float_to_bf16(float_of(mid)), even) << std::hex << lo;
    ASSERT_EQ(float_to_bf16(float_of(mid - 1)), lo) << std::hex << lo;
    ASSERT_EQ(float_to_bf16(float_of(mid + 1)), lo + 1) << std::hex << lo;
    ASSERT_EQ(float_to_bf16(float_of(mid | 0x80000000u)), even | 0x8000u) << std::hex << lo;
  }
}

TEST(Bf16, EdgesOfTheRange) {
  EXPECT_EQ(float_to_bf16(std::numeric_limits<float>::max()), 0x7F80u);  // rounds up to inf
  EXPECT_EQ(float_to_bf16(-std::numeric_limits<float>::max()), 0xFF80u);
  EXPECT_EQ(float_to_bf16(float_of(0x7F7F7FFFu)), 0x7F7Fu);              // largest finite stays
  EXPECT_EQ(float_to_bf16(std::numeric_limits<float>::infinity()), 0x7F80u);
  EXPECT_EQ(float_to_bf16(1.0f), 0x3F80u);
  EXPECT_EQ(float_to_bf16(-0.0f), 0x8000u);
  EXPECT_TRUE(is_bf16_nan(float_to_bf16(float_of(0x7F800001u))));       // payload below bit 16
  EXPECT_TRUE(is_bf16_nan(float_to_bf16(float_of(0xFFFFFFFFu))));       // would carry out of the sign
}

}  // namespace
}  // namespace kpg
