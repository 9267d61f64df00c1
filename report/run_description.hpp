#pragma once
// The line every report carries to say where its numbers were measured.

#include <string>

#include "tuner/gpu.hpp"

namespace kpg {

// "NVIDIA H100 80GB HBM3 (sm_90, 132 SMs), CUDA driver 13.0, 2026-11-25" (UTC date).
std::string describe_run(const Gpu& gpu);

}  // namespace kpg
