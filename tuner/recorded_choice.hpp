#pragma once
// The choice without timing anything, one rule for `kpg run`, `kpg tune --no-tune` and
// libkpg: the best passing record at this shape; else, where allowed, the best candidate of
// the nearest tuned shape; else the variant's default.

#include <string>

#include "tuner/selection.hpp"
#include "tuner/tune_plan.hpp"
#include "tuner/tune_types.hpp"
#include "tuner/tuning_cache.hpp"

namespace kpg {

struct RecordedChoice {
  const Candidate* candidate = nullptr;  // into the plan; nullptr when nothing survived
  ChoiceSource source = ChoiceSource::config_default;
  std::string detail;  // nearest_shape: the tuned shape key borrowed
};

// `sel`: the selection among this shape's records (select_best over the plan's live ids).
// `nearest_from`: the cache whose other shapes of `key` (same op, variant, source, card) may
// lend their best; nullptr to fall back to the default directly.
RecordedChoice choose_recorded(const TunePlan& plan, const Selection& sel, const TuningCache* nearest_from,
                               const CacheKey& key);

}  // namespace kpg
