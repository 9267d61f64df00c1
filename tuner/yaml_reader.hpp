#pragma once
// Typed reads from a parsed YAML tree, each failure a ConfigError at the node's line and
// column with its dotted key path: the building blocks of config validation.

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "tuner/config_error.hpp"

namespace kpg {

class YamlReader {
 public:
  // `text` is the file's content, kept for comment_above(); may be empty.
  explicit YamlReader(std::string file, std::string text = {});

  struct Entry {
    std::string name;
    YAML::Node key, value;
    std::string path;  // parent path + "." + name
  };

  SourceLoc loc(const YAML::Node& node, const std::string& path) const;
  [[noreturn]] void fail(const YAML::Node& node, const std::string& path, const std::string& message) const;

  // A map's entries in file order; keys are scalars, unique, and (when `allowed` is not
  // empty) among `allowed`, else an error naming the allowed keys.
  std::vector<Entry> entries(const YAML::Node& map, const std::string& path,
                             std::initializer_list<std::string_view> allowed = {}) const;
  // The value of a key that must be present (error at the map otherwise).
  YAML::Node required(const YAML::Node& map, const std::string& path, const std::string& key) const;

  void expect_map(const YAML::Node& node, const std::string& path) const;
  void expect_list(const YAML::Node& node, const std::string& path, bool non_empty) const;
  std::string string(const YAML::Node& node, const std::string& path) const;
  // A name matching [A-Za-z_][A-Za-z0-9_]*.
  std::string identifier(const YAML::Node& node, const std::string& path) const;
  int64_t integer(const YAML::Node& node, const std::string& path) const;
  double number(const YAML::Node& node, const std::string& path) const;
  bool boolean(const YAML::Node& node, const std::string& path) const;

  // The comment lines right above the node's line, without their '#', joined by spaces:
  // what the author wrote about a constraint, for messages. Empty when there are none.
  std::string comment_above(const YAML::Node& node) const;

  const std::string& file() const { return file_; }

 private:
  std::string file_;
  std::vector<std::string> lines_;
};

bool is_identifier(std::string_view s);
// "a, b, c" for messages.
std::string join(const std::vector<std::string>& items, std::string_view separator = ", ");

}  // namespace kpg
