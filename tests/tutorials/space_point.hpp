#pragma once
// Picks one configuration of a named space, as the attention tests pick stage 2 and 3
// points: the space's default at the shape with some params overridden.

#include <optional>
#include <string>

#include "tuner/config.hpp"
#include "tuner/space.hpp"

namespace kpg::testing {

// The candidate of `space` whose params are its default's with `overrides` applied; none
// when the constraints prune the default or the point at this shape.
inline std::optional<Candidate> space_point(const OpConfig& config, const VariantSpec& variant, const Shape& shape,
                                            const DeviceLimits& limits, const std::string& space,
                                            const ParamSet& overrides = {}) {
  const auto all = enumerate(config, variant, shape, limits, nullptr);
  const Candidate* def = nullptr;
  for (const auto& c : all)
    if (c.space_name == space && c.is_default) def = &c;
  if (!def) return std::nullopt;
  ParamSet want = def->params;
  for (const auto& [name, value] : overrides) want[name] = value;
  for (const auto& c : all)
    if (c.space_name == space && c.params == want) return c;
  return std::nullopt;
}

}  // namespace kpg::testing
