#pragma once
// The tuning landscape of one variant as a heat map: what `kpg tune --html` draws per
// variant and shape, from the tuner's records.

#include <optional>

#include "report/svg_chart.hpp"
#include "tuner/config.hpp"
#include "tuner/tuner.hpp"

namespace kpg::report {

// The best median ms of each value pair of the first two params of the variant's first
// space (best over the other params), x the first param, y the second. Missing cells:
// pruned, failed or not timed. nullopt when that space has fewer than two params or no
// record of it succeeded.
std::optional<HeatMap> tuning_heat_map(const VariantSpec& variant, const TuneResult& result);

}  // namespace kpg::report
