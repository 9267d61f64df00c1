#include "tuner/recorded_choice.hpp"

namespace kpg {

RecordedChoice choose_recorded(const TunePlan& plan, const Selection& sel, const TuningCache* nearest_from,
                               const CacheKey& key) {
  if (sel.best) return {plan.find(sel.best->candidate_id), ChoiceSource::cache, ""};
  if (nearest_from)
    if (const auto near = nearest_tuned(*nearest_from, key, plan.live_ids()))
      return {plan.find(near->candidate_id), ChoiceSource::nearest_shape, near->shape_key};
  const auto def = plan.default_candidate();
  return {def ? plan.find(def->id()) : nullptr, ChoiceSource::config_default, ""};
}

}  // namespace kpg
