#pragma once
// Host-side conversions between float and the 16-bit device types (IEEE binary16 and
// bfloat16), bit-exact with the device's round-to-nearest-even conversions
// (__float2half_rn, __float2bfloat16_rn): the tuner encodes inputs and decodes outputs
// with them, so the reference sees exactly the values the kernel read.

#include <cstdint>

namespace kpg {

// Exact: every binary16 value (subnormals, +-inf, NaN payloads) is representable in float.
float half_to_float(uint16_t bits);
// Round to nearest, ties to even; overflow gives +-inf, NaN stays a (quiet) NaN with its sign.
uint16_t float_to_half(float value);

// Exact: bfloat16 is the upper half of a float.
float bf16_to_float(uint16_t bits);
// Round to nearest, ties to even; NaN stays a quiet NaN (never rounded into inf).
uint16_t float_to_bf16(float value);

}  // namespace kpg
