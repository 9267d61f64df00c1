#include "cli/core/diagnostics.hpp"

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

namespace kpg {

std::vector<SourceLocation> log_locations(const std::string& log) {
  static const std::regex location(R"(^(.+)\((\d+)\): (?:error|warning|catastrophic error))");
  std::vector<SourceLocation> out;
  std::set<std::pair<std::string, int>> seen;
  std::istringstream lines(log);
  std::string line;
  std::smatch m;
  while (std::getline(lines, line)) {
    if (!std::regex_search(line, m, location)) continue;
    const int number = std::stoi(m[2].str());
    if (seen.insert({m[1].str(), number}).second) out.push_back({m[1].str(), number});
  }
  return out;
}

namespace {
std::string source_line(const std::filesystem::path& file, int number) {
  std::ifstream in(file);
  std::string line;
  for (int i = 1; std::getline(in, line); ++i) {
    if (i == number) return line;
  }
  return "(line not readable)";
}
}  // namespace

void print_compile_error(std::ostream& out, const CompileError& error) {
  out << "kpg: error: " << error.what() << "\n" << error.log() << "\n";
  const auto locations = log_locations(error.log());
  if (locations.empty()) return;
  out << "offending source lines:\n";
  for (const auto& loc : locations) {
    out << "  " << loc.file.string() << ":" << loc.line << ": " << source_line(loc.file, loc.line) << "\n";
  }
}

}  // namespace kpg
