#include "runtime/input_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "runtime/error.hpp"

namespace kpg {
namespace {

// An open descriptor of the regular file, or -1 with `why` set.
int open_regular(const std::filesystem::path& path, std::string& why) {
  // O_NONBLOCK: opening a FIFO for reading must not wait for a writer.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    why = std::strerror(errno);
    return -1;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) why = std::strerror(errno);
  else if (!S_ISREG(st.st_mode)) why = "it is " + file_type_name(st.st_mode) + ", not a file";
  if (!why.empty()) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

std::string file_type_name(unsigned mode) {
  if (S_ISREG(mode)) return "a file";
  if (S_ISDIR(mode)) return "a folder";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

std::string unreadable_reason(const std::filesystem::path& path) {
  std::string why;
  const int fd = open_regular(path, why);
  if (fd >= 0) ::close(fd);
  return why;
}

std::string read_input_file(const std::filesystem::path& path, const std::string& what) {
  std::string why;
  const int fd = open_regular(path, why);
  if (fd < 0) throw InputError("cannot read " + what + " " + path.string() + ": " + why);
  std::string text;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      why = std::strerror(errno);
      ::close(fd);
      throw InputError("cannot read " + what + " " + path.string() + ": " + why);
    }
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return text;
}

}  // namespace kpg
