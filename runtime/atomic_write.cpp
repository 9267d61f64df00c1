#include "runtime/atomic_write.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <optional>
#include <random>

namespace fs = std::filesystem;

namespace kpg {
namespace {

std::string errno_text() { return std::strerror(errno); }

fs::path folder_of(const fs::path& path) { return path.has_parent_path() ? path.parent_path() : fs::path("."); }

// <pid>.<counter>.<random>: the counter separates the threads of this process, the random
// part a pid reused by another process (another container, a network filesystem).
std::string unique_part() {
  static std::atomic<unsigned> counter{0};
  static thread_local std::mt19937 random(std::random_device{}());
  return std::to_string(::getpid()) + "." + std::to_string(counter.fetch_add(1)) + "." + std::to_string(random());
}

// Empty when every byte was written, else strerror of the failure.
std::string write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_text();
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

void fsync_folder(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;  // best effort: the rename itself is already atomic
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

AtomicWriteError::AtomicWriteError(const fs::path& path, std::string reason)
    : Error("cannot write " + path.string() + ": " + reason), path_(path), reason_(std::move(reason)) {}

void write_file_atomic(const fs::path& path, std::string_view bytes, FileMode mode, const TempName& temp_name) {
  const fs::path folder = folder_of(path);
  std::optional<mode_t> kept_mode;
  if (struct stat st {}; mode.keep_existing && ::stat(path.c_str(), &st) == 0) kept_mode = st.st_mode & 07777;
  const std::string prefix =
      temp_name.prefix.empty() ? "." + path.filename().string() + ".kpg-tmp." : temp_name.prefix;

  fs::path temp;
  int fd = -1;
  for (int attempt = 0; fd < 0 && attempt < 8; ++attempt) {  // a taken name is only retried
    temp = folder / (prefix + unique_part() + temp_name.suffix);
    fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode.bits);
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0) throw AtomicWriteError(path, errno_text());

  std::string error;
  // open() applied the umask; a kept mode is the existing file's own, umask or not.
  if (kept_mode && ::fchmod(fd, *kept_mode) != 0) error = errno_text();
  if (error.empty()) error = write_all(fd, bytes);
  if (error.empty() && ::fsync(fd) != 0) error = errno_text();
  if (::close(fd) != 0 && error.empty()) error = errno_text();
  if (error.empty() && ::rename(temp.c_str(), path.c_str()) != 0) error = errno_text();
  if (!error.empty()) {
    ::unlink(temp.c_str());
    throw AtomicWriteError(path, error);
  }
  fsync_folder(folder);
}

}  // namespace kpg
