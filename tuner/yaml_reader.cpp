#include "tuner/yaml_reader.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <set>
#include <sstream>

namespace kpg {

bool is_identifier(std::string_view s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string s;
  for (const auto& item : items) s += (s.empty() ? "" : std::string(separator)) + item;
  return s;
}

namespace {

std::string describe(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return "nothing";
  if (node.IsSequence()) return "a list";
  if (node.IsMap()) return "a map";
  return "'" + node.Scalar() + "'";
}

}  // namespace

YamlReader::YamlReader(std::string file, std::string text) : file_(std::move(file)) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines_.push_back(line);
}

std::string YamlReader::comment_above(const YAML::Node& node) const {
  const int line = node.Mark().line;  // 0-based
  std::vector<std::string> comment;
  for (int i = line - 1; i >= 0 && i < static_cast<int>(lines_.size()); --i) {
    const std::string& text = lines_[i];
    const size_t start = text.find_first_not_of(" \t");
    if (start == std::string::npos || text[start] != '#') break;
    const size_t words = text.find_first_not_of("# \t", start);
    comment.insert(comment.begin(), words == std::string::npos ? "" : text.substr(words));
  }
  std::erase(comment, "");
  return join(comment, " ");
}

SourceLoc YamlReader::loc(const YAML::Node& node, const std::string& path) const {
  SourceLoc l{file_, 0, 0, path};
  const YAML::Mark mark = node.Mark();
  if (mark.line >= 0) {
    l.line = mark.line + 1;
    l.column = mark.column + 1;
  }
  return l;
}

void YamlReader::fail(const YAML::Node& node, const std::string& path, const std::string& message) const {
  throw ConfigError(loc(node, path), message);
}

std::vector<YamlReader::Entry> YamlReader::entries(const YAML::Node& map, const std::string& path,
                                                   std::initializer_list<std::string_view> allowed) const {
  expect_map(map, path);
  std::vector<Entry> out;
  std::set<std::string> seen;
  for (const auto& kv : map) {
    if (!kv.first.IsScalar()) fail(kv.first, path, "keys must be plain names");
    const std::string name = kv.first.Scalar();
    const std::string child = path.empty() ? name : path + "." + name;
    if (!seen.insert(name).second) fail(kv.first, child, "duplicate key '" + name + "'");
    if (allowed.size() > 0 && std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      std::vector<std::string> names(allowed.begin(), allowed.end());
      fail(kv.first, child, "unknown key '" + name + "'; allowed here: " + join(names));
    }
    out.push_back({name, kv.first, kv.second, child});
  }
  return out;
}

YAML::Node YamlReader::required(const YAML::Node& map, const std::string& path, const std::string& key) const {
  const YAML::Node value = map[key];
  if (!value.IsDefined()) fail(map, path.empty() ? key : path + "." + key, "missing required key '" + key + "'");
  return value;
}

void YamlReader::expect_map(const YAML::Node& node, const std::string& path) const {
  if (!node.IsMap()) fail(node, path, "expected a map, got " + describe(node));
}

void YamlReader::expect_list(const YAML::Node& node, const std::string& path, bool non_empty) const {
  if (!node.IsSequence()) fail(node, path, "expected a list, got " + describe(node));
  if (non_empty && node.size() == 0) fail(node, path, "expected a non-empty list");
}

std::string YamlReader::string(const YAML::Node& node, const std::string& path) const {
  if (!node.IsScalar()) fail(node, path, "expected a string, got " + describe(node));
  return node.Scalar();
}

std::string YamlReader::identifier(const YAML::Node& node, const std::string& path) const {
  const std::string s = string(node, path);
  if (!is_identifier(s)) fail(node, path, "expected a name ([A-Za-z_][A-Za-z0-9_]*), got '" + s + "'");
  return s;
}

int64_t YamlReader::integer(const YAML::Node& node, const std::string& path) const {
  if (node.IsScalar()) {
    const std::string& s = node.Scalar();
    int64_t v = 0;
    // from_chars takes no '+': skip one, but not before a second sign ("+-5").
    const bool plus = !s.empty() && s[0] == '+' && (s.size() < 2 || s[1] != '-');
    const char* begin = s.data() + (plus ? 1 : 0);
    const auto [end, ec] = std::from_chars(begin, s.data() + s.size(), v);
    if (!s.empty() && ec == std::errc() && end == s.data() + s.size()) return v;
    if (ec == std::errc::result_out_of_range) fail(node, path, "integer '" + s + "' is out of range");
  }
  fail(node, path, "expected an integer, got " + describe(node));
}

double YamlReader::number(const YAML::Node& node, const std::string& path) const {
  if (node.IsScalar()) {
    const std::string& s = node.Scalar();
    char* stop = nullptr;
    const double v = std::strtod(s.c_str(), &stop);
    if (!s.empty() && stop == s.c_str() + s.size() && std::isfinite(v) &&
        s.find_first_not_of("0123456789+-.eE") == std::string::npos)
      return v;
  }
  fail(node, path, "expected a number, got " + describe(node));
}

bool YamlReader::boolean(const YAML::Node& node, const std::string& path) const {
  if (node.IsScalar()) {
    const std::string& s = node.Scalar();
    if (s == "true" || s == "True" || s == "TRUE") return true;
    if (s == "false" || s == "False" || s == "FALSE") return false;
  }
  fail(node, path, "expected true or false, got " + describe(node));
}

}  // namespace kpg
