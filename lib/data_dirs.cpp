#include "lib/data_dirs.hpp"

#include <dlfcn.h>

#include <cstdlib>
#include <optional>

#include "runtime/cubin_cache.hpp"
#include "runtime/paths.hpp"

namespace fs = std::filesystem;

// KPG_LIBRARY_DATA_FROM_LIB (the install layout's data folder relative to the library's
// folder: lib/ -> share/kpg), KPG_SOURCE_KERNELS_DIR and KPG_SOURCE_CONFIGS_DIR (the source
// tree's folders) are set by the build (lib/CMakeLists.txt).

namespace kpg {
namespace {

std::optional<std::string> given(const std::string& option) {
  return option.empty() ? std::nullopt : std::optional<std::string>(option);
}

fs::path resolve(const std::string& option, const char* env, const char* installed_name, const char* source_tree) {
  const fs::path lib = library_file();
  const fs::path installed =
      lib.empty() ? fs::path() : (lib.parent_path() / KPG_LIBRARY_DATA_FROM_LIB / installed_name).lexically_normal();
  return choose_data_dir(given(option), std::getenv(env), installed, source_tree);
}

}  // namespace

fs::path library_file() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&library_file), &info) == 0 || !info.dli_fname) return {};
  std::error_code ec;
  const fs::path file = fs::weakly_canonical(fs::absolute(info.dli_fname, ec), ec);
  return ec ? fs::path() : file;
}

fs::path library_kernels_dir(const std::string& option) {
  return resolve(option, "KPG_KERNELS_DIR", "kernels_src", KPG_SOURCE_KERNELS_DIR);
}

fs::path library_configs_dir(const std::string& option) {
  return resolve(option, "KPG_CONFIGS_DIR", "configs", KPG_SOURCE_CONFIGS_DIR);
}

fs::path library_cache_dir(const std::string& option) {
  return option.empty() ? CubinCache::default_dir() : fs::absolute(option).lexically_normal();
}

}  // namespace kpg
