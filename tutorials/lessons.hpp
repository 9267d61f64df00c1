#pragma once
// The tutorials, one function each; `kpg tutorial NAME` calls them.

#include "tutorials/tutorial.hpp"

namespace kpg {

int run_softmax_tutorial(const TutorialOptions& options);
int run_layernorm_tutorial(const TutorialOptions& options);

}  // namespace kpg
