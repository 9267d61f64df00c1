#pragma once
// Floating-point operations per kernel, as the lesson counts them: one per add, multiply,
// compare, exp or divide of each element (an FMA is two). Enough to place a kernel on the
// roofline; the kernels of configs/ are known by name, any other kernel counts 0 (unknown).

#include <string>

#include "tuner/config.hpp"

namespace kpg::memory {

double kernel_flops(const std::string& op, const std::string& kernel, const Shape& shape);

// True for kernels whose flops are tensor-core matrix products (flash_attn_fwd, flash_attn_fwd_wgmma).
bool uses_tensor_cores(const std::string& op, const std::string& kernel);

// Attention's matrix-product flops, 4 B H N^2 D, half when causal (the count FlashAttention's papers use).
double attention_flops(const Shape& shape);

}  // namespace kpg::memory
