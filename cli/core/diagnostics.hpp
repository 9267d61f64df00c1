#pragma once
// Printing a CompileError the way a compiler would: the NVRTC log, then each source
// line it points at as file:line: text.

#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include "runtime/error.hpp"

namespace kpg {

struct SourceLocation {
  std::filesystem::path file;
  int line = 0;
};

// Every distinct "file(line):" location in an NVRTC log, in order of first mention.
std::vector<SourceLocation> log_locations(const std::string& log);

void print_compile_error(std::ostream& out, const CompileError& error);

}  // namespace kpg
