#pragma once
// The search space of one variant at one shape: every combination of its params (in
// file order), minus those a constraint or the launch geometry rules out before any
// compilation, each pruning counted by reason.

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tuner/config.hpp"
#include "tuner/expr.hpp"
#include "tuner/scope.hpp"

namespace kpg {

struct Candidate {
  std::string variant;
  size_t space_index = 0;
  std::string space_name;
  ParamSet params;
  // "space:K=V,K=V" (params sorted by name; "space" alone when there are none): the
  // candidate's stable name in the tuning cache.
  std::string id() const;
  bool is_default = false;
  // Grid steps from its space's default (the sum over params of how many values apart they
  // are; 0: the default itself); -1 when not known. Seeds a budgeted search in a space whose
  // default the shape prunes.
  int steps_from_default = -1;
};

// The parts of a candidate id (Candidate::id()): "space:K=V,K=V" -> "space" and "K=V,K=V";
// "space" -> "space" and "" (a candidate without params).
std::string_view space_of_candidate_id(std::string_view id);
std::string_view params_of_candidate_id(std::string_view id);

struct PruneReport {
  size_t total = 0, kept = 0;
  // "constraint {le: [N, 1024]} (softmax.yaml:31)" -> how many candidates it removed
  std::map<std::string, size_t> by_reason;
};

// Why nothing is left, for messages: "all 12 candidates were pruned: 8 by constraint
// {le: ...} (x.yaml:31); 4 by launch k: block of more than 1024 threads", the `max_reasons`
// most frequent reasons first, then how many other reasons there were.
std::string describe_pruning(const PruneReport& report, size_t max_reasons = 3);

// Candidates of every space of the variant in file order (first param slowest), pruned by
// constraints, then by launch geometry impossible on the device: block above
// max_threads_per_block (or a block/grid dimension out of CUDA's range), dynamic shared
// memory above smem_optin, or geometry that does not evaluate to integers; then by a
// tensor-map argument the driver would refuse (tuner/tensor_map_arg.hpp).
std::vector<Candidate> enumerate(const OpConfig& config, const VariantSpec& variant, const Shape& shape,
                                 const DeviceLimits& limits, PruneReport* report);

// The default among enumerated candidates: the first marked is_default (the default of the
// first space whose default survived pruning), else the first; nullopt when there is none.
std::optional<Candidate> first_default(const std::vector<Candidate>& candidates);

// The candidate a variant declares as its default at a shape: first_default() of its
// grid, found by checking each space's default alone (the grid is walked only when none
// survives). A tuner that has enumerated already takes first_default() of its candidates.
std::optional<Candidate> default_candidate(const OpConfig& config, const VariantSpec& variant, const Shape& shape,
                                           const DeviceLimits& limits);

// -D values for NVRTC: every param (file order), every define evaluated at the shape,
// and {"KPG_DTYPE_F32" | "KPG_DTYPE_F16" | "KPG_DTYPE_BF16", "1"}.
std::vector<std::pair<std::string, std::string>> compile_defines(const OpConfig& config, const Candidate& candidate,
                                                                 const Shape& shape, const DeviceLimits& limits);

}  // namespace kpg
