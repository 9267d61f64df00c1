#pragma once
// Waiting for saves: inotify on the folders of a set of files, filtered by name, with a
// debounce. Folders, not files, are watched because editors save by writing a temp file
// and renaming it over the original (a new inode a file watch would never see), or by
// deleting and recreating it. Knows nothing about kernels or configs: it is given paths
// and returns the ones that changed.

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace kpg {

class FileWatcher {
 public:
  using Clock = std::chrono::steady_clock;

  enum class Status { changed, timed_out, interrupted };
  struct Result {
    Status status = Status::timed_out;
    std::set<std::filesystem::path> files;  // watched files changed (absolute, normalised)
    Clock::time_point first_event{};        // when the first of them was seen: the save
  };

  // Throws Error when inotify is not available.
  explicit FileWatcher(std::chrono::milliseconds debounce = std::chrono::milliseconds(100));
  ~FileWatcher();
  FileWatcher(const FileWatcher&) = delete;
  FileWatcher& operator=(const FileWatcher&) = delete;

  // Replaces the watched set. A file need not exist yet (its folder must). Folders that
  // cannot be watched are skipped with a warning; returns the files whose folder is watched.
  std::vector<std::filesystem::path> watch(const std::vector<std::filesystem::path>& files);
  const std::set<std::filesystem::path>& files() const { return files_; }

  // Blocks until a watched file is written, created, renamed over, moved away or deleted,
  // then until none has changed for the debounce time, and returns every one changed
  // meanwhile. Events of other files in the same folders are ignored. Returns timed_out
  // after `timeout` without a change, interrupted as soon as `interrupt_fd` (if >= 0)
  // is readable (the fd is not read).
  Result wait(std::optional<std::chrono::milliseconds> timeout = std::nullopt, int interrupt_fd = -1);

 private:
  struct Folder {
    std::multimap<std::string, std::filesystem::path> files;  // file name -> watched path(s)
  };
  // Reads the pending events; adds the watched files they name. False if nothing was read.
  bool drain(std::set<std::filesystem::path>& changed);

  int fd_ = -1;
  std::chrono::milliseconds debounce_;
  std::map<int, Folder> folders_;  // inotify watch descriptor -> its folder's watched files
  std::set<std::filesystem::path> files_;
};

}  // namespace kpg
