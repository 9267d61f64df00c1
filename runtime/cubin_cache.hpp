#pragma once
// Compiled kernels on disk, keyed by a SHA-256 of everything that shapes the binary.
// Each entry carries a header (magic, payload length, SHA-256 of the payload): a truncated
// or corrupt entry is reported, deleted and treated as a miss, never loaded. Writes are
// atomic (temp file in the same folder, fsync, rename), so concurrent kpg processes and
// crashes never leave a half-written entry under a real key.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace kpg {

class CubinCache {
 public:
  explicit CubinCache(std::filesystem::path dir);

  // $KPG_CACHE_DIR, else $XDG_CACHE_HOME/kpg, else ~/.cache/kpg.
  static std::filesystem::path default_dir();

  // The payload stored under `key`, or nullopt on a miss (absent, or corrupt and now deleted).
  std::optional<std::vector<char>> load(const std::string& key) const;
  // Throws Error if the entry cannot be written (callers may treat that as a warning).
  void store(const std::string& key, const std::vector<char>& data) const;

  const std::filesystem::path& dir() const { return dir_; }
  // Where the entry for `key` lives: dir()/cubin/<key>.bin.
  std::filesystem::path entry_path(const std::string& key) const;

 private:
  std::filesystem::path dir_;
};

}  // namespace kpg
