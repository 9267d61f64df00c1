#pragma once
// The project headers a kernel source includes, directly or through other headers:
// what `kpg watch` watches, and with the source the one digest both caches key on.

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

// A kernel source and every project header it includes, as one SHA-256: the source's text,
// then each header's path (relative to the source's folder) and text, in discovery order.
// Both caches key on it (the cubin cache's origin, the tuning cache's key), so an edit of
// the source or of any header it reaches is a new key in both, and an edit undone finds
// the old entries again.
struct SourceDigest {
  std::string sha256;
  std::vector<std::filesystem::path> headers;  // collect_project_includes' list
};
SourceDigest digest_source_text(const std::string& text, const std::filesystem::path& source_dir,
                                const std::vector<std::filesystem::path>& include_dirs);
// The same for a file, its headers searched as Compiler::compile_file searches them
// (include_dirs, then the file's folder); InputError when it or a header cannot be read.
SourceDigest digest_source_file(const std::filesystem::path& source,
                                const std::vector<std::filesystem::path>& include_dirs);

}  // namespace kpg
