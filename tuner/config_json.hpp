#pragma once
// A parsed op config as canonical JSON: every field of every struct of tuner/config.hpp,
// object keys sorted, numbers as parsed, expressions in their flow form (Expr::to_string),
// source positions left out (where a value stands is not what it is). The tuning cache
// hashes a projection of it (tuner/tuning_key.hpp).
//
// Each serialiser names every field of its struct in a structured binding, so a field added
// to a struct does not compile until it is written here too: no field can be forgotten.

#include <nlohmann/json.hpp>

#include "tuner/config.hpp"

namespace kpg {

nlohmann::json to_json(const OpConfig& config);
nlohmann::json to_json(const VariantSpec& variant);
nlohmann::json to_json(const SpaceSpec& space);

}  // namespace kpg
