#pragma once
// Which configuration a launch uses, decided on the CPU from the tuning cache's records,
// which it reads and never writes: the rule of `kpg run` (tuner/recorded_choice.hpp).

#include <optional>
#include <string>

#include "tuner/config.hpp"
#include "tuner/space.hpp"
#include "tuner/tuner.hpp"
#include "tuner/tuning_cache.hpp"

namespace kpg {

struct ConfigPick {
  Candidate candidate;
  ChoiceSource source = ChoiceSource::config_default;
  std::string detail;  // nearest_shape: the tuned shape key borrowed
};

// The best passing record of `key` (this card, kernel source and shape) among the
// candidates valid at the shape; else the best of the nearest tuned shape (nearest_tuned:
// same op, variant, source and card); else the variant's default at the shape. nullopt
// when no candidate of the variant is valid at the shape.
std::optional<ConfigPick> choose_config(const OpConfig& config, const VariantSpec& variant, const Shape& shape,
                                        const DeviceLimits& limits, const TuningCache& cache, const CacheKey& key);

// The candidate "space:K=V,K=V" names (params not given take the space's default; "space"
// alone is its default). InputError when the variant has no such space or param, or when
// the candidate is not valid at the shape (a constraint or the device's limits).
Candidate candidate_from_id(const OpConfig& config, const VariantSpec& variant, const std::string& id,
                            const Shape& shape, const DeviceLimits& limits);

}  // namespace kpg
