#pragma once
// What a watch round works on, from the flags and the config as it is now: the shape
// (--shape, else the config's first; --dtype replaces its dtype) and the variants
// (--variant, else all). Bad flags are ConfigError/InputError, reported like a YAML error.

#include <string>
#include <vector>

#include "tuner/config.hpp"

namespace kpg {

struct WatchTarget {
  std::string shape;                  // "M=4096,N=781[,dtype=f16]"; empty: the config's first shape
  std::string dtype;                  // empty: the shape's
  std::vector<std::string> variants;  // empty: all
};

Shape watched_shape(const OpConfig& config, const WatchTarget& target);
std::vector<const VariantSpec*> watched_variants(const OpConfig& config, const WatchTarget& target);

// "fused/block_per_row", or "fused" when the variant's one space carries its name.
std::string variant_label(const std::string& variant, const std::string& space);

}  // namespace kpg
