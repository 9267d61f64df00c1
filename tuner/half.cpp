#include "tuner/half.hpp"

#include <bit>

namespace kpg {
namespace {

constexpr uint32_t kF32SignMask = 0x80000000u;
constexpr uint32_t kF32ExpMask = 0x7F800000u;
constexpr uint32_t kF32MantMask = 0x007FFFFFu;

// Shift `value` right by `shift` bits, rounding to nearest with ties to even.
uint32_t shift_right_rne(uint32_t value, int shift) {
  if (shift <= 0) return value;
  if (shift >= 32) return 0;  // callers never need more than 25, kept for safety
  const uint32_t kept = value >> shift;
  const uint32_t rest = value & ((1u << shift) - 1u);
  const uint32_t half = 1u << (shift - 1);
  if (rest > half || (rest == half && (kept & 1u))) return kept + 1u;
  return kept;
}

}  // namespace

float half_to_float(uint16_t bits) {
  const uint32_t sign = static_cast<uint32_t>(bits & 0x8000u) << 16;
  const uint32_t exp = (bits >> 10) & 0x1Fu;
  uint32_t mant = bits & 0x3FFu;
  uint32_t out;
  if (exp == 0x1F) {  // inf or NaN: keep the payload, in the float's top mantissa bits
    out = sign | kF32ExpMask | (mant << 13);
  } else if (exp != 0) {  // normal: rebias 15 -> 127
    out = sign | ((exp + 112u) << 23) | (mant << 13);
  } else if (mant == 0) {  // signed zero
    out = sign;
  } else {  // subnormal half is a normal float: normalise the mantissa
    int e = -1;
    do {
      ++e;
      mant <<= 1;
    } while ((mant & 0x400u) == 0);
    out = sign | (static_cast<uint32_t>(112 - e) << 23) | ((mant & 0x3FFu) << 13);
  }
  return std::bit_cast<float>(out);
}

uint16_t float_to_half(float value) {
  const uint32_t f = std::bit_cast<uint32_t>(value);
  const auto sign = static_cast<uint16_t>((f & kF32SignMask) >> 16);
  const uint32_t exp = (f & kF32ExpMask) >> 23;
  const uint32_t mant = f & kF32MantMask;

  if (exp == 0xFF) {
    if (mant == 0) return sign | 0x7C00u;  // inf
    // NaN: keep the top payload bits and force the quiet bit so it never becomes inf.
    return static_cast<uint16_t>(sign | 0x7E00u | (mant >> 13));
  }
  const int unbiased = static_cast<int>(exp) - 127;
  if (unbiased > 15) return sign | 0x7C00u;  // beyond the largest finite half even before rounding
  if (unbiased >= -14) {
    // Normal half. Rounding the 23-bit mantissa to 10 bits may carry into the exponent,
    // and a carry out of exponent 30 lands exactly on the inf encoding: both are correct.
    const uint32_t biased = static_cast<uint32_t>(unbiased + 15);
    const uint32_t combined = (biased << 10) + shift_right_rne(mant, 13);
    return static_cast<uint16_t>(sign | (combined >= 0x7C00u ? 0x7C00u : combined));
  }
  // Subnormal half (or zero): value = m * 2^-24 with m = full_mantissa * 2^(unbiased+24-23).
  // A float subnormal is far below half's smallest subnormal and rounds to zero.
  if (exp == 0) return sign;
  const uint32_t full = mant | 0x800000u;  // implicit leading one
  const int shift = -unbiased - 1;         // 14 for unbiased -15 ... grows as the value shrinks
  // A carry into 0x400 turns the result into the smallest normal half: same encoding.
  return static_cast<uint16_t>(sign | shift_right_rne(full, shift));
}

float bf16_to_float(uint16_t bits) { return std::bit_cast<float>(static_cast<uint32_t>(bits) << 16); }

uint16_t float_to_bf16(float value) {
  const uint32_t f = std::bit_cast<uint32_t>(value);
  if ((f & kF32ExpMask) == kF32ExpMask && (f & kF32MantMask) != 0)
    return static_cast<uint16_t>((f >> 16) | 0x0040u);  // quiet NaN, sign kept
  // Rounding may carry into the exponent; the largest finite floats round up to inf, as on the device.
  return static_cast<uint16_t>(shift_right_rne(f, 16));
}

}  // namespace kpg
