#pragma once
// Where a value came from: the YAML file, its 1-based line and column, and the dotted
// key path ("variants.fused.spaces[0].params.VEC"). Errors about configs carry one.

#include <string>

namespace kpg {

struct SourceLoc {
  std::string file;
  int line = 0;    // 1-based; 0 when the value has no position (a CLI flag, a default)
  int column = 0;  // 1-based
  std::string key;
};

}  // namespace kpg
