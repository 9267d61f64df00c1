#include "cli/core/command.hpp"

#include "runtime/cubin_cache.hpp"
#include "runtime/paths.hpp"

namespace kpg {
namespace {
std::optional<std::string> flag(const std::string& value) {
  return value.empty() ? std::nullopt : std::optional<std::string>(value);
}
}  // namespace

std::filesystem::path CliContext::kernels_dir() const { return kpg::kernels_dir(flag(kernels_dir_flag)); }
std::filesystem::path CliContext::configs_dir() const { return kpg::configs_dir(flag(configs_dir_flag)); }
std::filesystem::path CliContext::cache_dir() const { return CubinCache::default_dir(); }
std::filesystem::path CliContext::tuning_cache_dir() const {
  return tuning_cache_dir_override.empty() ? cache_dir() : tuning_cache_dir_override;
}

}  // namespace kpg
