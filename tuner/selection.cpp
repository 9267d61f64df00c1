#include "tuner/selection.hpp"

#include <algorithm>
#include <cmath>
#include <map>

namespace kpg {

Selection select_best(const std::vector<TuneRecord>& records, const std::set<std::string>& live_candidate_ids) {
  std::map<std::string, const TuneRecord*> latest;
  for (const auto& r : records) latest[r.candidate_id] = &r;
  std::vector<const TuneRecord*> ok;
  for (const auto& [id, r] : latest)
    if (r->ok && live_candidate_ids.count(id) && std::isfinite(r->median_ms)) ok.push_back(r);
  std::sort(ok.begin(), ok.end(), [](const TuneRecord* a, const TuneRecord* b) {
    if (a->median_ms != b->median_ms) return a->median_ms < b->median_ms;
    if (a->min_ms != b->min_ms) return a->min_ms < b->min_ms;
    return a->candidate_id < b->candidate_id;
  });
  Selection s;
  if (ok.empty()) return s;
  s.best = *ok[0];
  if (ok.size() < 2) return s;
  s.runner_up = *ok[1];
  const double noise_pct = std::max(s.best->spread_pct, s.runner_up->spread_pct);
  s.within_noise = s.runner_up->median_ms - s.best->median_ms <= noise_pct / 100.0 * s.best->median_ms;
  return s;
}

std::optional<NearestTuned> nearest_tuned(const std::string& target_shape_key,
                                          const std::vector<std::pair<std::string, std::vector<TuneRecord>>>& tuned,
                                          const std::set<std::string>& live_candidate_ids) {
  const auto target = parse_shape_key(target_shape_key);
  if (!target) return std::nullopt;
  std::optional<NearestTuned> nearest;
  for (const auto& [key, records] : tuned) {
    const auto shape = parse_shape_key(key);
    if (!shape || shape->dtype != target->dtype || shape->dims.size() != target->dims.size()) continue;
    double d2 = 0;
    bool same_dims = true;
    for (const auto& [dim, value] : target->dims) {
      const auto it = shape->dims.find(dim);
      if (it == shape->dims.end()) {
        same_dims = false;
        break;
      }
      // A dim that is 0 on either side is a switch (CAUSAL=0), not a size: it must match.
      if (value < 1 || it->second < 1) {
        if (value == it->second) continue;
        same_dims = false;
        break;
      }
      const double delta = std::log2(static_cast<double>(value)) - std::log2(static_cast<double>(it->second));
      d2 += delta * delta;
    }
    if (!same_dims) continue;
    const Selection sel = select_best(records, live_candidate_ids);
    if (!sel.best) continue;
    const double distance = std::sqrt(d2);
    if (nearest && (distance > nearest->distance || (distance == nearest->distance && key >= nearest->shape_key))) continue;
    nearest = NearestTuned{sel.best->params, sel.best->candidate_id, key, distance};
  }
  return nearest;
}

std::optional<NearestTuned> nearest_tuned(const TuningCache& cache, const CacheKey& target,
                                          const std::set<std::string>& live_candidate_ids) {
  std::vector<std::pair<std::string, std::vector<TuneRecord>>> tuned;
  for (auto& [key, records] : cache.list(target.op))
    if (key.variant == target.variant && key.source_hash == target.source_hash && key.device == target.device)
      tuned.emplace_back(key.shape_key, std::move(records));
  return nearest_tuned(target.shape_key, tuned, live_candidate_ids);
}

}  // namespace kpg
