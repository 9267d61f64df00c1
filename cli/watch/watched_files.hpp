#pragma once
// What a watch of one op depends on: its YAML config, its kernel sources (every space's)
// and every project header they include, directly or through other headers, found as the
// tuner's compiles find them (kernels folder, then the source's own folder).

#include <filesystem>
#include <vector>

#include "tuner/config.hpp"

namespace kpg {

// Config file first, then the sources, then the headers in discovery order; absolute,
// normalised, each once. A source that cannot be read is still listed (its folder is
// watched, so recreating it starts a round) but contributes no headers.
std::vector<std::filesystem::path> watched_files(const OpConfig& config, const std::filesystem::path& kernels_dir);

}  // namespace kpg
