#pragma once
// Where kernel sources and op configs are found, so kpg runs the same from the build
// tree and from an install.

#include <filesystem>
#include <optional>
#include <string>

namespace kpg {

// First of: the --kernels-dir flag, $KPG_KERNELS_DIR, the source tree's kernels_src/
// (when it exists), <prefix>/share/kpg/kernels_src next to the executable's bin/.
// A flag or variable is returned as given even if missing, so the caller reports it.
std::filesystem::path kernels_dir(const std::optional<std::string>& cli_flag);

// The same for configs/: --configs-dir, $KPG_CONFIGS_DIR, source tree, <prefix>/share/kpg/configs.
std::filesystem::path configs_dir(const std::optional<std::string>& cli_flag);

// The running executable (/proc/self/exe), or empty if unknown.
std::filesystem::path executable_path();

}  // namespace kpg
