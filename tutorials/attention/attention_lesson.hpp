#pragma once
// Tutorial 3, `kpg tutorial flash-attention`: flash attention (kernels_src/attention/flash_*.cu)
// against standard attention (cuBLAS + our softmax, tutorials/attention/standard_attention.hpp).

#include "tutorials/tutorial.hpp"

namespace kpg {

int run_flash_attention_tutorial(const TutorialOptions& options);

}  // namespace kpg
