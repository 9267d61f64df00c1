#include "report/tuning_heat_map.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <string>

#include "tuner/space.hpp"

namespace kpg::report {

std::optional<HeatMap> tuning_heat_map(const VariantSpec& variant, const TuneResult& result) {
  if (variant.spaces.empty() || variant.spaces.front().params.size() < 2) return std::nullopt;
  const SpaceSpec& space = variant.spaces.front();
  const auto& [x_name, x_values] = space.params[0];
  const auto& [y_name, y_values] = space.params[1];
  HeatMap map;
  map.title = fmt::format("{}/{} at {}: median ms, best over other params{}", result.op, result.variant,
                          result.shape.to_string(), variant.spaces.size() > 1 ? " (space " + space.name + ")" : "");
  map.x_label = x_name;
  map.y_label = y_name;
  map.unit = "ms";
  for (int64_t v : x_values) map.x_values.push_back(std::to_string(v));
  for (int64_t v : y_values) map.y_values.push_back(std::to_string(v));
  map.cells.assign(y_values.size(), std::vector<std::optional<double>>(x_values.size()));
  bool any = false;
  for (const TuneRecord& r : result.records) {
    // Keep the first space's records.
    if (!r.ok || space_of_candidate_id(r.candidate_id) != space.name) continue;
    const auto x = r.params.find(x_name), y = r.params.find(y_name);
    if (x == r.params.end() || y == r.params.end()) continue;
    const auto col = std::find(x_values.begin(), x_values.end(), x->second);
    const auto row = std::find(y_values.begin(), y_values.end(), y->second);
    if (col == x_values.end() || row == y_values.end()) continue;  // a value since removed from the grid
    auto& cell = map.cells[static_cast<size_t>(row - y_values.begin())][static_cast<size_t>(col - x_values.begin())];
    if (!cell || r.median_ms < *cell) cell = r.median_ms;
    any = true;
  }
  if (!any) return std::nullopt;
  return map;
}

}  // namespace kpg::report
