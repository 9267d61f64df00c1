#include "runtime/output_file.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "runtime/atomic_write.hpp"
#include "runtime/error.hpp"
#include "runtime/input_file.hpp"

namespace fs = std::filesystem;

namespace kpg {
namespace {

std::string errno_text(int err) { return std::strerror(err); }

[[noreturn]] void fail(const fs::path& path, const std::string& why) {
  throw InputError("cannot write " + path.string() + ": " + why);
}

fs::path folder_of(const fs::path& path) { return path.has_parent_path() ? path.parent_path() : fs::path("."); }

// The file that writing `path` means: `path` itself, or the final target of a symlink.
fs::path resolve_target(const fs::path& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return path;  // the folder check says what is wrong
    fail(path, errno_text(errno));
  }
  if (!S_ISLNK(st.st_mode)) return path;
  std::error_code ec;
  const fs::path target = fs::canonical(path, ec);
  if (ec) {
    const fs::path link = fs::read_symlink(path, ec);
    fail(path, "it is a symlink to " + link.string() + ", which does not exist; kpg does not replace a symlink");
  }
  return target;
}

// Throws unless `dir` is an existing folder this process may create files in.
void check_writable_folder(const fs::path& dir, const fs::path& for_path) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    if (errno == ENOENT) fail(for_path, "folder " + dir.string() + " does not exist");
    fail(for_path, dir.string() + ": " + errno_text(errno));
  }
  if (!S_ISDIR(st.st_mode)) fail(for_path, dir.string() + " is " + file_type_name(st.st_mode) + ", not a folder");
  if (::access(dir.c_str(), W_OK | X_OK) != 0) fail(for_path, "folder " + dir.string() + ": " + errno_text(errno));
}

// Throws unless `target` (symlinks resolved) is absent or a writable regular file in a
// writable folder. A device, FIFO or folder is named as such first, whatever its folder allows.
void check_target(const fs::path& target, const fs::path& named) {
  struct stat st {};
  const bool exists = ::stat(target.c_str(), &st) == 0;
  if (!exists && errno != ENOENT && errno != ENOTDIR) fail(named, errno_text(errno));
  if (exists && !S_ISREG(st.st_mode)) fail(named, "it is " + file_type_name(st.st_mode) + "; kpg writes regular files only");
  check_writable_folder(folder_of(target), named);
  if (exists && ::access(target.c_str(), W_OK) != 0) fail(named, "the file is not writable (" + errno_text(errno) + ")");
}

}  // namespace

void check_output_file(const fs::path& path, bool create_folders) {
  if (path.empty()) throw InputError("an output file name is empty");
  std::error_code ec;
  if (create_folders && path.has_parent_path() && !fs::exists(path.parent_path(), ec) && !ec)
    return check_output_dir(path.parent_path());
  check_target(resolve_target(path), path);
}

void write_output_file(const fs::path& path, std::string_view bytes) {
  if (path.empty()) throw InputError("an output file name is empty");
  const fs::path target = resolve_target(path);
  check_target(target, path);
  try {
    write_file_atomic(target, bytes, FileMode{0666, true});
  } catch (const AtomicWriteError& e) {
    fail(path, e.reason());
  }
}

void check_output_dir(const fs::path& dir) {
  if (dir.empty()) throw InputError("an output folder name is empty");
  // The folder itself if it exists, else its nearest existing ancestor, which must be a
  // folder that the missing ones can be created in.
  fs::path at = fs::absolute(dir).lexically_normal();
  if (!at.has_filename()) at = at.parent_path();
  for (;;) {
    struct stat st {};
    if (::stat(at.c_str(), &st) == 0) {
      if (!S_ISDIR(st.st_mode))
        throw InputError("cannot create output folder " + dir.string() + ": " + at.string() + " is " +
                         file_type_name(st.st_mode) + ", not a folder");
      if (::access(at.c_str(), W_OK | X_OK) != 0)
        throw InputError("cannot write to output folder " + dir.string() + ": " + at.string() + ": " +
                         errno_text(errno));
      return;
    }
    if (errno != ENOENT && errno != ENOTDIR)  // ENOTDIR: an ancestor is a file, named next round
      throw InputError("cannot use output folder " + dir.string() + ": " + at.string() + ": " + errno_text(errno));
    if (at == at.root_path()) throw InputError("cannot create output folder " + dir.string() + ": no such root");
    at = at.parent_path();
  }
}

void make_output_dir(const fs::path& dir) {
  check_output_dir(dir);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw InputError("cannot create output folder " + dir.string() + ": " + ec.message());
}

}  // namespace kpg
