#pragma once
// What a variant's tuning records were measured from, as one hash (CacheKey::source_hash):
// its kernel files, each with every project header it includes (the digest the cubin
// cache keys on too, runtime/includes.hpp), and the part of the parsed config that decides
// what a candidate computes and how it launches.

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tuner/config.hpp"

namespace kpg {

// The config as the key sees it: the canonical JSON (tuner/config_json.hpp) of the config
// and of this variant alone, less what leaves a record valid when it changes: the grid
// (params, constraints, defaults: each record names its own params), the shapes and cache
// policy (the shape key says which shape), timing, tolerance and reference (how it is
// measured and checked: `kpg tune --force` re-measures), descriptions, and paths (a kernel
// file counts by its name and content). Any other field, a new one included, is in it.
nlohmann::json keyed_config(const OpConfig& config, const VariantSpec& variant);

// SHA-256 over the kernel files (the variant's spaces', or without a variant every
// space's), each by name and by digest of it and its headers (searched in include_dirs,
// then the file's folder), and with a variant over keyed_config(): editing a kernel, a
// header or a launch invalidates the records, adding a grid value does not.
std::string source_hash(const OpConfig& config, const std::vector<std::filesystem::path>& include_dirs,
                        const VariantSpec* variant = nullptr);

}  // namespace kpg
