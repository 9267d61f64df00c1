#pragma once
// `kpg compile --all`: compiles every op config's kernels over their whole grids (no GPU
// needed) and prints, per op, candidates, unique compiles, failures and spills.

#include <string>

#include "cli/core/command.hpp"

namespace kpg {

struct CompileAllArgs {
  std::string arch;  // for spaces without `arch`; empty: the GPU's, else sm_90
  unsigned jobs = 0;  // 0: one compile thread per core
  bool no_cache = false;
};

// Exit code: kExitOk, or kExitBadInput when a config did not load or a compile failed.
int run_compile_all(const CliContext& ctx, const CompileAllArgs& args);

}  // namespace kpg
