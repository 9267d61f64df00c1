#include "cli/watch/file_watcher.hpp"

#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>

#include "runtime/error.hpp"

namespace fs = std::filesystem;

namespace kpg {
namespace {

// Every way an editor or a tool can leave new content under a name: in-place writes,
// rename-over, delete-and-recreate (and moving the file away, which a round reports).
constexpr uint32_t kMask = IN_CLOSE_WRITE | IN_MODIFY | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_ONLYDIR;

// Milliseconds from now to `t`, rounded up, at least 0 (poll's timeout).
int ms_until(FileWatcher::Clock::time_point t) {
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(t - FileWatcher::Clock::now()).count();
  return left > 0 ? static_cast<int>(left) : 0;
}

}  // namespace

FileWatcher::FileWatcher(std::chrono::milliseconds debounce) : debounce_(debounce) {
  fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd_ < 0) throw Error(std::string("inotify_init1 failed: ") + std::strerror(errno));
}

FileWatcher::~FileWatcher() { ::close(fd_); }

std::vector<fs::path> FileWatcher::watch(const std::vector<fs::path>& files) {
  std::map<int, Folder> folders;
  std::vector<fs::path> watched;
  for (const auto& file : files) {
    const fs::path path = fs::absolute(file).lexically_normal();
    const fs::path dir = path.parent_path();
    // Watching a folder already watched (even through another path to it) returns its descriptor.
    const int wd = ::inotify_add_watch(fd_, dir.c_str(), kMask);
    if (wd < 0) {
      spdlog::warn("cannot watch {} (for {}): {}", dir.string(), path.filename().string(), std::strerror(errno));
      continue;
    }
    folders[wd].files.emplace(path.filename().string(), path);
    watched.push_back(path);
  }
  for (const auto& [wd, folder] : folders_)
    if (!folders.count(wd)) ::inotify_rm_watch(fd_, wd);
  folders_ = std::move(folders);
  files_ = std::set<fs::path>(watched.begin(), watched.end());
  return watched;
}

bool FileWatcher::drain(std::set<fs::path>& changed) {
  alignas(inotify_event) char buffer[16384];
  bool read_any = false;
  for (;;) {
    const ssize_t n = ::read(fd_, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return read_any;  // EAGAIN: drained
    read_any = true;
    for (ssize_t at = 0; at < n;) {
      const auto* event = reinterpret_cast<const inotify_event*>(buffer + at);
      at += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
      if (event->mask & IN_Q_OVERFLOW) {  // events were lost: assume everything changed
        changed.insert(files_.begin(), files_.end());
        continue;
      }
      if (event->len == 0) continue;  // an event of the folder itself
      const auto folder = folders_.find(event->wd);
      if (folder == folders_.end()) continue;
      const auto [first, last] = folder->second.files.equal_range(event->name);
      for (auto it = first; it != last; ++it) changed.insert(it->second);
    }
  }
}

FileWatcher::Result FileWatcher::wait(std::optional<std::chrono::milliseconds> timeout, int interrupt_fd) {
  Result result;
  const Clock::time_point deadline = timeout ? Clock::now() + *timeout : Clock::time_point::max();
  Clock::time_point last_event{};
  for (;;) {
    int wait_ms = -1;
    if (!result.files.empty()) {
      wait_ms = ms_until(last_event + debounce_);
      if (wait_ms == 0) {
        result.status = Status::changed;
        return result;
      }
    } else if (timeout) {
      wait_ms = ms_until(deadline);
      if (wait_ms == 0) {
        result.status = Status::timed_out;
        return result;
      }
    }
    pollfd fds[2] = {{fd_, POLLIN, 0}, {interrupt_fd, POLLIN, 0}};
    const nfds_t count = interrupt_fd >= 0 ? 2 : 1;
    if (::poll(fds, count, wait_ms) < 0) {
      if (errno == EINTR) continue;
      throw Error(std::string("poll failed: ") + std::strerror(errno));
    }
    if (count == 2 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
      result.status = Status::interrupted;
      return result;
    }
    if (!(fds[0].revents & POLLIN)) continue;
    std::set<fs::path> now;
    drain(now);
    if (now.empty()) continue;  // other files of the same folders
    last_event = Clock::now();
    if (result.files.empty()) result.first_event = last_event;
    result.files.insert(now.begin(), now.end());
  }
}

}  // namespace kpg
