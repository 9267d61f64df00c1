#pragma once
// Internals of load_config shared by its two files: config_loader.cpp (the top level)
// and variant_loader.cpp (variants, spaces, launches).

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tuner/config.hpp"
#include "tuner/yaml_reader.hpp"

namespace kpg::detail {

// What expressions and launch arguments may name, declared before the variants.
struct ConfigNames {
  std::set<std::string> dims, scalars;
  std::map<std::string, BufferSpec> buffers;  // by name: a tensor-map argument reads its buffer's dtype and shape

  std::vector<std::string> buffer_names() const {
    std::vector<std::string> out;
    for (const auto& [name, spec] : buffers) out.push_back(name);
    return out;
  }
};

// Where a `source:` key (of the op, a variant or a space) finds its kernel file: in the
// kernels directory, then next to the config file.
struct KernelFiles {
  std::filesystem::path kernels_dir, config_dir;
  std::filesystem::path op_source;  // the op-level default; empty when the op names none
};

// The kernel file `node` names (absolute), else ConfigError at `node` listing where it looked.
std::filesystem::path resolve_kernel_file(const YamlReader& reader, const YAML::Node& node, const std::string& path,
                                          const KernelFiles& files);

// An expression whose every name is in `known` (else ConfigError at that name's position,
// listing what may be named there).
Expr load_expr(const YamlReader& reader, const YAML::Node& node, const std::string& path,
               const std::set<std::string>& known);

std::vector<VariantSpec> load_variants(const YamlReader& reader, const YAML::Node& node, const std::string& path,
                                       const ConfigNames& names, const KernelFiles& files);

}  // namespace kpg::detail
