#pragma once
// The lessons in teaching order: `kpg tutorial NAME` runs one, `kpg tutorial all` runs
// them in turn (run_lessons).

#include <string_view>
#include <vector>

#include "tutorials/tutorial.hpp"

namespace kpg {

int run_softmax_tutorial(const TutorialOptions& options);
int run_layernorm_tutorial(const TutorialOptions& options);

// softmax, layernorm, flash-attention, memory-analysis (each needs a GPU; the memory
// lesson's theory mode is run_memory_analysis_theory).
const std::vector<Lesson>& lessons();
// The lesson called `name`, or nullptr.
const Lesson* find_lesson(std::string_view name);

}  // namespace kpg
