#pragma once
// Where kernel sources and op configs are found, so kpg runs the same from the build
// tree and from an install.

#include <filesystem>
#include <optional>
#include <string>

namespace kpg {

// First of: the --kernels-dir flag, $KPG_KERNELS_DIR, the installed data next to the
// executable (<prefix>/bin/kpg reads <prefix>/share/kpg/kernels_src), the source tree's
// kernels_src/ (kpg run from its build tree). The install wins over the source tree, so an
// installed kpg never reads the tree it was built from. A flag or variable is returned as
// given even if missing, so the caller reports it.
std::filesystem::path kernels_dir(const std::optional<std::string>& cli_flag);

// The same for configs/: --configs-dir, $KPG_CONFIGS_DIR, <prefix>/share/kpg/configs, source tree.
std::filesystem::path configs_dir(const std::optional<std::string>& cli_flag);

// The running executable (/proc/self/exe, symlinks resolved), or empty if unknown.
std::filesystem::path executable_path();

// <prefix>/share/kpg for an executable at <prefix>/bin/kpg (the install layout's data
// folder, relative to the executable's folder); empty when `executable` is empty.
std::filesystem::path installed_data_dir(const std::filesystem::path& executable);

// The lookup order above, for one folder: `flag`, then `env_value`, then `installed` and
// `source_tree` when they are folders. When neither exists: the source tree if known, else
// the installed path (so the caller can name what is missing).
std::filesystem::path choose_data_dir(const std::optional<std::string>& flag, const char* env_value,
                                      const std::filesystem::path& installed,
                                      const std::filesystem::path& source_tree);

}  // namespace kpg
