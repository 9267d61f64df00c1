#pragma once
// Crash-safe file primitives for the tuning cache: an exclusive advisory lock, and a
// write that replaces a file atomically (temp file, fsync, rename, fsync of the folder).

#include <filesystem>
#include <optional>
#include <string>

namespace kpg {

// flock(LOCK_EX) on `lock_file` (created if missing) for the object's lifetime. Excludes
// other processes and other threads of this one (each FileLock opens its own descriptor).
class FileLock {
 public:
  explicit FileLock(const std::filesystem::path& lock_file);  // throws InputError
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

// The whole file, or nullopt when it does not exist. Throws InputError when it exists
// but cannot be read.
std::optional<std::string> read_text_file(const std::filesystem::path& path);

// Replaces `path` with `text` through write_file_atomic (runtime/atomic_write.hpp): readers
// see the old or the new content, never a mix, even after kill -9 or a power cut. Throws
// InputError ("cannot write <path>: <reason>").
void write_cache_file(const std::filesystem::path& path, const std::string& text);

// Temp files that a killed writer left next to `path` (call with the lock held).
void remove_stale_temp_files(const std::filesystem::path& path);

}  // namespace kpg
