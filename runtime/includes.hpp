#pragma once
// The project headers a kernel source includes, directly or through other headers:
// what the cubin cache key hashes and what `kpg watch` watches.

#include <filesystem>
#include <string>
#include <vector>

namespace kpg {

// Follows `#include "x"` (the including file's folder first, then include_dirs) and
// `#include <x>` (include_dirs only), recursively, each header once. Headers not found
// there (toolkit, system) are skipped. Returns absolute, normalised paths in discovery order.
// Includes inside #if branches are all followed: a superset is safe for caching.
std::vector<std::filesystem::path> collect_project_includes(const std::filesystem::path& source,
                                                            const std::vector<std::filesystem::path>& include_dirs);

// The same for source text held in memory; quoted includes resolve first against `source_dir`.
std::vector<std::filesystem::path> collect_project_includes_in_text(
    const std::string& text, const std::filesystem::path& source_dir,
    const std::vector<std::filesystem::path>& include_dirs);

}  // namespace kpg
