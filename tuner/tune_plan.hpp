#pragma once
// Plan, the tuner's first stage: the candidates of one variant at one shape, enumerated
// once (tuner/space.hpp), and which of them this tune has to time.

#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "tuner/config.hpp"
#include "tuner/space.hpp"
#include "tuner/tune_types.hpp"
#include "tuner/tuning_cache.hpp"

namespace kpg {

class TunePlan {
 public:
  TunePlan(const OpConfig& config, const VariantSpec& variant, const Shape& shape, const DeviceLimits& limits);

  const OpConfig& config() const { return config_; }
  const VariantSpec& variant() const { return variant_; }
  const Shape& shape() const { return shape_; }
  // In grid order (space by space, first param slowest); what survived pruning.
  const std::vector<Candidate>& candidates() const { return candidates_; }
  const PruneReport& pruned() const { return pruned_; }
  // Ids of candidates(): only records of these compete (a value removed from the grid, or
  // pruned at this shape, leaves its old records aside).
  const std::set<std::string>& live_ids() const { return live_ids_; }
  // The candidate of that id; nullptr when it is not in the plan.
  const Candidate* find(const std::string& id) const;
  // The variant's default here, from the candidates (no second enumeration): the first
  // marked is_default, i.e. the default of the first space whose default survived; else
  // the first candidate; nullopt when nothing survived.
  std::optional<Candidate> default_candidate() const;

  // Indices into candidates() that this process times: those of its shard
  // (index mod shard_count == shard_index) with no record in `known`, with any record when
  // `force`, or with one older than `retime_before`.
  std::vector<size_t> to_time(const std::map<std::string, TuneRecord>& known, const TuneOptions& options) const;

 private:
  const OpConfig& config_;
  const VariantSpec& variant_;
  Shape shape_;
  PruneReport pruned_;
  std::vector<Candidate> candidates_;
  std::set<std::string> live_ids_;
  std::map<std::string, size_t> index_of_;  // id -> index in candidates_
};

}  // namespace kpg
