#pragma once
// Internals of load_config shared by its two files: config_loader.cpp (the top level)
// and variant_loader.cpp (variants, spaces, launches).

#include <yaml-cpp/yaml.h>

#include <set>
#include <string>
#include <vector>

#include "tuner/config.hpp"
#include "tuner/yaml_reader.hpp"

namespace kpg::detail {

// What expressions and launch arguments may name, declared before the variants.
struct ConfigNames {
  std::set<std::string> dims, buffers, scalars;
};

// An expression whose every name is in `known` (else ConfigError at that name's position,
// listing what may be named there).
Expr load_expr(const YamlReader& reader, const YAML::Node& node, const std::string& path,
               const std::set<std::string>& known);

std::vector<VariantSpec> load_variants(const YamlReader& reader, const YAML::Node& node, const std::string& path,
                                       const ConfigNames& names);

}  // namespace kpg::detail
