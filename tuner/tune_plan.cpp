#include "tuner/tune_plan.hpp"

namespace kpg {

TunePlan::TunePlan(const OpConfig& config, const VariantSpec& variant, const Shape& shape, const DeviceLimits& limits)
    : config_(config), variant_(variant), shape_(shape) {
  candidates_ = enumerate(config, variant, shape, limits, &pruned_);
  for (size_t i = 0; i < candidates_.size(); ++i) {
    live_ids_.insert(candidates_[i].id());
    index_of_.emplace(candidates_[i].id(), i);
  }
}

const Candidate* TunePlan::find(const std::string& id) const {
  const auto it = index_of_.find(id);
  return it == index_of_.end() ? nullptr : &candidates_[it->second];
}

std::optional<Candidate> TunePlan::default_candidate() const { return first_default(candidates_); }

std::vector<size_t> TunePlan::to_time(const std::map<std::string, TuneRecord>& known, const TuneOptions& options) const {
  std::vector<size_t> out;
  for (size_t i = 0; i < candidates_.size(); ++i) {
    if (i % options.shard_count != options.shard_index) continue;
    const auto it = known.find(candidates_[i].id());
    if (options.force || it == known.end() ||
        (!options.retime_before.empty() && it->second.timestamp < options.retime_before))
      out.push_back(i);
  }
  return out;
}

}  // namespace kpg
