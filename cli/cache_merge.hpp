#pragma once
// `kpg cache merge PATH...` (cli/cache_merge.cpp), registered under `kpg cache`.

#include <CLI/CLI.hpp>

#include "cli/core/command.hpp"

namespace kpg {

void add_cache_merge_command(CLI::App* cache, CliContext& ctx);

}  // namespace kpg
