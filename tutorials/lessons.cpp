#include "tutorials/lessons.hpp"

#include <algorithm>

#include "tutorials/attention/attention_lesson.hpp"
#include "tutorials/memory/memory_analysis.hpp"

namespace kpg {

const std::vector<Lesson>& lessons() {
  // The memory lesson picks its own ops and shapes (memory::lesson_ops).
  static const std::vector<Lesson> all = {{"softmax", &run_softmax_tutorial, {"softmax"}},
                                          {"layernorm", &run_layernorm_tutorial, {"layernorm", "rmsnorm"}},
                                          {"flash-attention", &run_flash_attention_tutorial, {"attention"}},
                                          {"memory-analysis", &run_memory_analysis_tutorial, {}}};
  return all;
}

const Lesson* find_lesson(std::string_view name) {
  const auto& all = lessons();
  const auto it = std::find_if(all.begin(), all.end(), [&](const Lesson& l) { return l.name == name; });
  return it == all.end() ? nullptr : &*it;
}

}  // namespace kpg
