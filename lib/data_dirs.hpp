#pragma once
// Where the library reads kernels and configs, and keeps its caches, when the caller names
// none: the lookup of the kpg command, with the library's own location in place of the
// executable's, so an installed libkpg reads <prefix>/share/kpg.

#include <filesystem>
#include <string>

namespace kpg {

// This shared library's file (dladdr), or empty when unknown.
std::filesystem::path library_file();

// `option` when not empty, else $KPG_KERNELS_DIR, else <library's folder>/../share/kpg/kernels_src
// when it exists, else the source tree's kernels_src/ (a library used from its build tree).
std::filesystem::path library_kernels_dir(const std::string& option);
std::filesystem::path library_configs_dir(const std::string& option);
// `option`, else the kpg command's cache folder ($KPG_CACHE_DIR, $XDG_CACHE_HOME/kpg, ~/.cache/kpg).
std::filesystem::path library_cache_dir(const std::string& option);

}  // namespace kpg
