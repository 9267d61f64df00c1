#include "runtime/includes.hpp"

#include <optional>
#include <regex>
#include <set>
#include <sstream>

#include "runtime/hash.hpp"
#include "runtime/input_file.hpp"

namespace fs = std::filesystem;

namespace kpg {
namespace {

struct Directive {
  std::string name;
  bool quoted;
};

std::vector<Directive> include_directives(const std::string& text) {
  static const std::regex pattern(R"(^\s*#\s*include\s*([<"])([^>"]+)[>"])");
  std::vector<Directive> out;
  std::istringstream lines(text);
  std::string line;
  std::smatch m;
  while (std::getline(lines, line)) {
    if (std::regex_search(line, m, pattern)) out.push_back({m[2].str(), m[1].str() == "\""});
  }
  return out;
}

std::optional<fs::path> resolve(const Directive& d, const fs::path& including_dir, const std::vector<fs::path>& dirs) {
  std::error_code ec;
  auto found = [&](const fs::path& dir) -> std::optional<fs::path> {
    const fs::path candidate = dir / d.name;
    if (fs::is_regular_file(candidate, ec)) return fs::absolute(candidate, ec).lexically_normal();
    return std::nullopt;
  };
  if (d.quoted) {
    if (auto p = found(including_dir)) return p;
  }
  for (const auto& dir : dirs) {
    if (auto p = found(dir)) return p;
  }
  return std::nullopt;
}

struct Header {
  fs::path path;
  std::string text;
};

// Each header once, in discovery order, with the text it was followed through.
void visit(const std::string& text, const fs::path& dir, const std::vector<fs::path>& dirs, std::set<fs::path>& seen,
           std::vector<Header>& out) {
  for (const auto& d : include_directives(text)) {
    const auto path = resolve(d, dir, dirs);
    if (!path || !seen.insert(*path).second) continue;
    out.push_back({*path, read_input_file(*path, "kernel header")});
    visit(out.back().text, path->parent_path(), dirs, seen, out);
  }
}

std::vector<Header> headers_of(const std::string& text, const fs::path& source_dir, const std::vector<fs::path>& dirs) {
  std::set<fs::path> seen;
  std::vector<Header> out;
  visit(text, source_dir, dirs, seen, out);
  return out;
}

}  // namespace

std::vector<fs::path> collect_project_includes_in_text(const std::string& text, const fs::path& source_dir,
                                                       const std::vector<fs::path>& include_dirs) {
  std::vector<fs::path> out;
  for (auto& header : headers_of(text, source_dir, include_dirs)) out.push_back(std::move(header.path));
  return out;
}

std::vector<fs::path> collect_project_includes(const fs::path& source, const std::vector<fs::path>& include_dirs) {
  const fs::path absolute = fs::absolute(source).lexically_normal();
  return collect_project_includes_in_text(read_input_file(absolute, "kernel source"), absolute.parent_path(), include_dirs);
}

SourceDigest digest_source_text(const std::string& text, const fs::path& source_dir,
                                const std::vector<fs::path>& include_dirs) {
  SourceDigest digest;
  Sha256 h;
  h.update_field("kpg-source-digest-1");
  h.update_field(text);
  // Header paths relative to the source's folder (the working directory for text with none).
  const fs::path base = fs::absolute(source_dir.empty() ? fs::path(".") : source_dir).lexically_normal();
  for (auto& header : headers_of(text, source_dir, include_dirs)) {
    h.update_field(header.path.lexically_relative(base).generic_string());
    h.update_field(header.text);
    digest.headers.push_back(std::move(header.path));
  }
  digest.sha256 = h.hex_digest();
  return digest;
}

SourceDigest digest_source_file(const fs::path& source, const std::vector<fs::path>& include_dirs) {
  const fs::path absolute = fs::absolute(source).lexically_normal();
  std::vector<fs::path> dirs = include_dirs;
  dirs.push_back(absolute.parent_path());  // as Compiler::compile_file searches
  return digest_source_text(read_input_file(absolute, "kernel source"), absolute.parent_path(), dirs);
}

}  // namespace kpg
