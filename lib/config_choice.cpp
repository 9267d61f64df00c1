#include "lib/config_choice.hpp"

#include <algorithm>
#include <charconv>
#include <set>

#include "runtime/error.hpp"
#include "tuner/recorded_choice.hpp"
#include "tuner/selection.hpp"
#include "tuner/tune_plan.hpp"

namespace kpg {

std::optional<ConfigPick> choose_config(const OpConfig& config, const VariantSpec& variant, const Shape& shape,
                                        const DeviceLimits& limits, const TuningCache& cache, const CacheKey& key) {
  const TunePlan plan(config, variant, shape, limits);
  const RecordedChoice pick = choose_recorded(plan, select_best(cache.load(key), plan.live_ids()), &cache, key);
  if (!pick.candidate) return std::nullopt;
  return ConfigPick{*pick.candidate, pick.source, pick.detail};
}

Candidate candidate_from_id(const OpConfig& config, const VariantSpec& variant, const std::string& id,
                            const Shape& shape, const DeviceLimits& limits) {
  const std::string where = config.op + "/" + variant.name + " config '" + id + "'";
  const std::string space_name(space_of_candidate_id(id));
  const auto space = std::find_if(variant.spaces.begin(), variant.spaces.end(),
                                  [&](const SpaceSpec& s) { return s.name == space_name; });
  if (space == variant.spaces.end()) {
    std::string known;
    for (const auto& s : variant.spaces) known += (known.empty() ? "" : ", ") + s.name;
    throw InputError(where + ": no space '" + space_name + "' (spaces: " + known + ")");
  }
  Candidate wanted{variant.name, static_cast<size_t>(space - variant.spaces.begin()), space->name, space->defaults,
                   false};
  const std::string_view params = params_of_candidate_id(id);
  std::set<std::string> seen;
  // `<=` so that a trailing comma yields an empty item and is refused, not ignored.
  for (size_t start = 0; !params.empty() && start <= params.size();) {
    const size_t comma = std::min(params.find(',', start), params.size());
    const std::string item(params.substr(start, comma - start));
    start = comma + 1;
    const auto eq = item.find('=');
    const std::string name = item.substr(0, eq);
    int64_t value = 0;
    const char* first = item.data() + (eq == std::string::npos ? item.size() : eq + 1);
    const auto [end, ec] = std::from_chars(first, item.data() + item.size(), value);
    if (eq == std::string::npos || ec != std::errc() || end != item.data() + item.size() || first == end)
      throw InputError(where + ": expected NAME=INTEGER, got '" + item + "'");
    if (!wanted.params.count(name)) throw InputError(where + ": space '" + space->name + "' has no param " + name);
    if (!seen.insert(name).second) throw InputError(where + ": param " + name + " is given twice");
    wanted.params[name] = value;
  }
  for (const auto& c : enumerate(config, variant, shape, limits, nullptr))
    if (c.id() == wanted.id()) return c;
  throw InputError(where + " is not valid at " + shape.to_string() +
                   " (a value outside its grid, a constraint, or the device's limits rule it out)");
}

}  // namespace kpg
