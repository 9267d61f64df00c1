#include "cli/watch/watched_files.hpp"

#include <algorithm>

#include "runtime/error.hpp"
#include "runtime/includes.hpp"

namespace fs = std::filesystem;

namespace kpg {

std::vector<fs::path> watched_files(const OpConfig& config, const fs::path& kernels_dir) {
  std::vector<fs::path> out;
  const auto add = [&](const fs::path& p) {
    const fs::path normal = fs::absolute(p).lexically_normal();
    if (std::find(out.begin(), out.end(), normal) == out.end()) out.push_back(normal);
  };
  add(config.file);
  for (const auto& source : config.sources()) add(source);
  for (const auto& source : config.sources()) {
    try {
      for (const auto& header : collect_project_includes(source, {kernels_dir, source.parent_path()})) add(header);
    } catch (const InputError&) {
      // Unreadable source or header: the round reports it; what is known so far is watched.
    }
  }
  return out;
}

}  // namespace kpg
