#include "runtime/paths.hpp"

#include <cstdlib>

namespace fs = std::filesystem;

// Set by the build: the source tree's folders (for kpg run from its build tree) and the
// install layout's data folder relative to the executable's folder (GNUInstallDirs:
// bin/ -> share/kpg).
#ifndef KPG_SOURCE_KERNELS_DIR
#define KPG_SOURCE_KERNELS_DIR ""
#endif
#ifndef KPG_SOURCE_CONFIGS_DIR
#define KPG_SOURCE_CONFIGS_DIR ""
#endif
#ifndef KPG_INSTALL_DATA_FROM_BIN
#define KPG_INSTALL_DATA_FROM_BIN "../share/kpg"
#endif

namespace kpg {

fs::path executable_path() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : exe;
}

fs::path installed_data_dir(const fs::path& executable) {
  if (executable.empty()) return {};
  return (executable.parent_path() / KPG_INSTALL_DATA_FROM_BIN).lexically_normal();
}

fs::path choose_data_dir(const std::optional<std::string>& flag, const char* env_value, const fs::path& installed,
                         const fs::path& source_tree) {
  if (flag && !flag->empty()) return fs::absolute(*flag).lexically_normal();
  if (env_value && *env_value) return fs::absolute(env_value).lexically_normal();
  std::error_code ec;
  if (!installed.empty() && fs::is_directory(installed, ec)) return installed;
  if (!source_tree.empty() && fs::is_directory(source_tree, ec)) return source_tree;
  return source_tree.empty() ? installed : source_tree;
}

namespace {

fs::path resolve(const std::optional<std::string>& flag, const char* env, const char* source_tree,
                 const char* installed_name) {
  const fs::path data = installed_data_dir(executable_path());
  return choose_data_dir(flag, std::getenv(env), data.empty() ? data : data / installed_name, source_tree);
}

}  // namespace

fs::path kernels_dir(const std::optional<std::string>& cli_flag) {
  return resolve(cli_flag, "KPG_KERNELS_DIR", KPG_SOURCE_KERNELS_DIR, "kernels_src");
}

fs::path configs_dir(const std::optional<std::string>& cli_flag) {
  return resolve(cli_flag, "KPG_CONFIGS_DIR", KPG_SOURCE_CONFIGS_DIR, "configs");
}

}  // namespace kpg
