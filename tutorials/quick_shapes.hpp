#pragma once
// The main job's shapes (`kpg tutorial ... --quick`): per op, a few rows of its lesson,
// one for each regime the lesson teaches, so that the four lessons report in minutes.
// Every one is also a default shape of the op's config, i.e. a row of the full lesson.

#include <string>
#include <string_view>
#include <vector>

namespace kpg {

// "M=4096,N=781,dtype=f32"-style shapes of `op` (softmax, layernorm, rmsnorm, attention);
// empty for any other op, whose lesson then runs its config's default shapes.
const std::vector<std::string>& quick_shapes(std::string_view op);

}  // namespace kpg
