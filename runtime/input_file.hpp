#pragma once
// Files kpg reads that a user names (kernel sources, op configs): a failure says which
// file and why, as the system put it ("Permission denied"), and something that is not a
// regular file says what it is ("it is a folder"), rather than "not found".

#include <filesystem>
#include <string>

namespace kpg {

// What a file of this st_mode is, for messages: "a file", "a folder", "a FIFO (named pipe)", ...
std::string file_type_name(unsigned mode);

// Why `path` cannot be read as a regular file, or empty when it can. Never blocks (a FIFO
// is reported, not opened for reading).
std::string unreadable_reason(const std::filesystem::path& path);

// The whole file. Throws InputError "cannot read <what> <path>: <reason>" otherwise.
std::string read_input_file(const std::filesystem::path& path, const std::string& what);

}  // namespace kpg
