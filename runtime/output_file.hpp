#pragma once
// Files and folders a user names as output (kpg compile -o, tune --html, run --save-io,
// tutorial --results). kpg writes regular files only, and only whole:
//  - a device, FIFO, socket or folder where a file is to be written is refused, and so is
//    a read-only file;
//  - a symlink is followed (its target is written, the link stays); a dangling one is refused;
//  - the bytes go to a temporary file in the target's folder, which is synced and renamed
//    over the target; on any failure the temporary file is removed and nothing else changed.
// Every failure is an InputError naming the path and the reason (strerror), e.g.
// "cannot write out/a.cubin: No space left on device".

#include <filesystem>
#include <string_view>

namespace kpg {

// Throws unless `path` can be written as a regular file: its folder exists and is writable,
// and the path (after symlinks) is absent or a writable regular file. With `create_folders`,
// a missing folder is fine if it could be created (check_output_dir). Creates nothing.
void check_output_file(const std::filesystem::path& path, bool create_folders = false);

// Writes `bytes` to `path` as described above.
void write_output_file(const std::filesystem::path& path, std::string_view bytes);

// Throws unless `dir` is a writable folder or could be created as one (its nearest existing
// ancestor is a writable folder). Creates nothing.
void check_output_dir(const std::filesystem::path& dir);

// Creates `dir` and any missing parents, after check_output_dir.
void make_output_dir(const std::filesystem::path& dir);

}  // namespace kpg
