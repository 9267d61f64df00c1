#pragma once
// Replaces a file whole, durably: readers see the old content or the new, never a mix,
// even after kill -9 or a power cut. The one way kpg writes a file it owns (the cubin
// cache, the tuning cache) or one a user names as output (-o, --html, --results).
//
// The bytes go to a new temp file in the target's folder (created with O_EXCL under a name
// made of the pid, a per-process counter and a random number, so concurrent writers in
// this or any other process never share one), are synced, and the temp file is renamed
// over the target; the folder is then synced (best effort: the rename is already atomic).
// On any failure the temp file is removed and nothing else has changed.

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <string_view>

#include "runtime/error.hpp"

namespace kpg {

// The permission bits of the new file.
struct FileMode {
  mode_t bits = 0644;          // of a new file, less the umask
  bool keep_existing = false;  // when the target exists, its bits carry over instead
};

// The temp file is <prefix><unique><suffix> in the target's folder, so that a cache can
// recognise the temp files a killed writer left. An empty prefix means
// ".<target file name>.kpg-tmp.".
struct TempName {
  std::string prefix;
  std::string suffix;
};

// Thrown when the file cannot be written. what() is "cannot write <path>: <reason>";
// reason() is the strerror text alone, for callers that word the message themselves.
class AtomicWriteError : public Error {
 public:
  AtomicWriteError(const std::filesystem::path& path, std::string reason);
  const std::filesystem::path& path() const { return path_; }
  const std::string& reason() const { return reason_; }

 private:
  std::filesystem::path path_;
  std::string reason_;
};

// Writes `bytes` to `path` as described above. `path` is replaced as it is: a symlink there
// is replaced by the file, not followed (callers that follow one resolve it first).
// Throws AtomicWriteError.
void write_file_atomic(const std::filesystem::path& path, std::string_view bytes, FileMode mode = {},
                       const TempName& temp_name = {});

}  // namespace kpg
