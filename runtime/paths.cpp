#include "runtime/paths.hpp"

#include <cstdlib>

namespace fs = std::filesystem;

namespace kpg {
namespace {

fs::path resolve(const std::optional<std::string>& flag, const char* env, const char* source_tree,
                 const char* installed_name) {
  if (flag && !flag->empty()) return fs::absolute(*flag).lexically_normal();
  if (const char* v = std::getenv(env); v && *v) return fs::absolute(v).lexically_normal();
  std::error_code ec;
  if (source_tree && *source_tree && fs::is_directory(source_tree, ec)) return source_tree;
  const fs::path exe = executable_path();
  const fs::path installed = exe.empty() ? fs::path() : exe.parent_path().parent_path() / "share" / "kpg" / installed_name;
  if (!installed.empty() && fs::is_directory(installed, ec)) return installed;
  return (source_tree && *source_tree) ? fs::path(source_tree) : installed;
}

}  // namespace

fs::path executable_path() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : exe;
}

#ifndef KPG_SOURCE_KERNELS_DIR
#define KPG_SOURCE_KERNELS_DIR ""
#endif
#ifndef KPG_SOURCE_CONFIGS_DIR
#define KPG_SOURCE_CONFIGS_DIR ""
#endif

fs::path kernels_dir(const std::optional<std::string>& cli_flag) {
  return resolve(cli_flag, "KPG_KERNELS_DIR", KPG_SOURCE_KERNELS_DIR, "kernels_src");
}

fs::path configs_dir(const std::optional<std::string>& cli_flag) {
  return resolve(cli_flag, "KPG_CONFIGS_DIR", KPG_SOURCE_CONFIGS_DIR, "configs");
}

}  // namespace kpg
