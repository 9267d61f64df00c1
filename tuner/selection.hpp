#pragma once
// Choosing from records, without a GPU: the best live candidate of a shape, the nearest
// tuned shape's choice for `--no-tune`, and (budget_search.hpp) a budgeted search order.

#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "tuner/budget_search.hpp"
#include "tuner/space.hpp"
#include "tuner/tuning_cache.hpp"

namespace kpg {

struct Selection {
  std::optional<TuneRecord> best;
  std::optional<TuneRecord> runner_up;
  // The runner-up's median is within max(best.spread_pct, runner_up.spread_pct) percent
  // of the best's: the two should be measured again before one is declared the winner.
  bool within_noise = false;
};

// Only ok records of candidates in `live_candidate_ids` compete (a candidate removed
// from the grid, or pruned at this shape, is ignored). A candidate id recorded twice
// counts once, with its last record. Ties on the median go to the lower min, then id.
Selection select_best(const std::vector<TuneRecord>& records, const std::set<std::string>& live_candidate_ids);

struct NearestTuned {
  ParamSet params;
  std::string candidate_id;
  std::string shape_key;  // the tuned shape whose choice is borrowed
  double distance = 0;    // in log2 units (see nearest_tuned)
};

// For a shape never tuned: the best live candidate of the tuned shape nearest to
// `target_shape_key`. Nearest = smallest Euclidean distance between the log2 of the dims
// (so 1024 -> 2048 is as far as 4096 -> 8192; a pow2 bucket counts as its top value).
// Only shape keys with the same dims and the same dtype are considered (another dtype
// changes ELEM_BYTES and so the best vector width). Ties go to the smaller shape key.
// `tuned` pairs each shape key with its records; entries with no ok live record are skipped.
std::optional<NearestTuned> nearest_tuned(const std::string& target_shape_key,
                                          const std::vector<std::pair<std::string, std::vector<TuneRecord>>>& tuned,
                                          const std::set<std::string>& live_candidate_ids);

// The same over the tuning cache: the files of `target`'s op and variant whose kernel
// source hash and device match (driver and NVRTC versions may differ: it is a guess).
std::optional<NearestTuned> nearest_tuned(const TuningCache& cache, const CacheKey& target,
                                          const std::set<std::string>& live_candidate_ids);

}  // namespace kpg
