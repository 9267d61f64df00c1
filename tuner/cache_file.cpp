#include "tuner/cache_file.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "runtime/atomic_write.hpp"
#include "runtime/error.hpp"

namespace kpg {
namespace {

std::string errno_text() { return std::strerror(errno); }

constexpr std::string_view kTempMarker = ".tmp.";

}  // namespace

FileLock::FileLock(const std::filesystem::path& lock_file) {
  fd_ = ::open(lock_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw InputError("cannot open lock file " + lock_file.string() + ": " + errno_text());
  while (::flock(fd_, LOCK_EX) != 0) {
    if (errno == EINTR) continue;
    const std::string why = errno_text();
    ::close(fd_);
    throw InputError("cannot lock " + lock_file.string() + ": " + why);
  }
}

FileLock::~FileLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the lock
}

std::optional<std::string> read_text_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) return std::nullopt;
    throw InputError("cannot read " + path.string() + ": " + errno_text());
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_cache_file(const std::filesystem::path& path, const std::string& text) {
  // Temp files are <name>.tmp.<unique>: remove_stale_temp_files finds those a killed writer left.
  try {
    write_file_atomic(path, text, FileMode{}, TempName{path.filename().string() + std::string(kTempMarker), ""});
  } catch (const AtomicWriteError& e) {
    throw InputError(e.what());
  }
}

void remove_stale_temp_files(const std::filesystem::path& path) {
  const std::string prefix = path.filename().string() + std::string(kTempMarker);
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(path.parent_path(), ec))
    if (entry.path().filename().string().rfind(prefix, 0) == 0) std::filesystem::remove(entry.path(), ec);
}

}  // namespace kpg
