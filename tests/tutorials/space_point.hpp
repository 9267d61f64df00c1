#pragma once
// Picks one configuration of a named space, as the attention tests pick stage 2 and 3
// points: the space's default at the shape with some params overridden.

#include <optional>
#include <string>

#include "tuner/config.hpp"
#include "tuner/space.hpp"

namespace kpg::testing {

// The candidate of `space` whose params are its default's with `overrides` applied; none
// when there is no such space or the constraints prune that point at this shape (the
// default itself may be pruned there: the overrides can move off it).
inline std::optional<Candidate> space_point(const OpConfig& config, const VariantSpec& variant, const Shape& shape,
                                            const DeviceLimits& limits, const std::string& space,
                                            const ParamSet& overrides = {}) {
  const SpaceSpec* spec = nullptr;
  for (const auto& s : variant.spaces)
    if (s.name == space) spec = &s;
  if (!spec) return std::nullopt;
  ParamSet want = spec->defaults;
  for (const auto& [name, value] : overrides) want[name] = value;
  const auto all = enumerate(config, variant, shape, limits, nullptr);
  for (const auto& c : all)
    if (c.space_name == space && c.params == want) return c;
  return std::nullopt;
}

// Attention stage 3's point with the copy flags it does not name off (KV_TMA, QO_TMA,
// EPI_OVERLAP = 0: cp.async loads and 16-byte stores), whatever the space's default.
inline ParamSet plain_copies(ParamSet point) {
  for (const char* flag : {"KV_TMA", "QO_TMA", "EPI_OVERLAP"}) point.emplace(flag, 0);
  return point;
}

}  // namespace kpg::testing
