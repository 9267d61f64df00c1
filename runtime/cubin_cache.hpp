#pragma once
// Compiled kernels on disk. Each entry carries what it was compiled from (its origin: a
// text naming the NVRTC version, the program, SHA-256s of the source and of every header
// it includes, the target and the options) and is stored under the SHA-256 of that text.
// A load compares the entry's origin with the one asked for: an entry compiled from
// anything else (copied, renamed, or from an older kpg) is a miss, never a module for
// another source, and the next store replaces it.
//
// Each entry also carries a SHA-256 of its bytes: a truncated or corrupt entry is reported,
// deleted and treated as a miss. Writes are atomic (temp file in the same folder, fsync,
// rename), so concurrent kpg processes and crashes never leave a half-written entry.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace kpg {

class CubinCache {
 public:
  explicit CubinCache(std::filesystem::path dir);

  // $KPG_CACHE_DIR, else $XDG_CACHE_HOME/kpg, else ~/.cache/kpg; with none of them set,
  // a folder private to this user: <temp>/kpg-cache-<uid>, created with mode 0700. Throws
  // InputError when that folder exists but is not this user's own private folder.
  static std::filesystem::path default_dir();

  // The key of the entry compiled from `origin`: SHA-256 hex of the text.
  static std::string key_of(const std::string& origin);

  // The payload compiled from `origin`, or nullopt on a miss (absent; corrupt, and now
  // deleted; or compiled from something else).
  std::optional<std::vector<char>> load(const std::string& origin) const;
  // Throws Error if the entry cannot be written (callers may treat that as a warning).
  void store(const std::string& origin, const std::vector<char>& data) const;

  // Removes every entry (and temp files a killed writer left); nothing else in the folder.
  // Returns how many entries were removed. Throws InputError naming a file it cannot remove.
  size_t clear() const;

  const std::filesystem::path& dir() const { return dir_; }
  // Where the entry for `key` lives: dir()/cubin/<key>.bin.
  std::filesystem::path entry_path(const std::string& key) const;

 private:
  std::filesystem::path dir_;
};

}  // namespace kpg
