#include "tuner/space.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <optional>

#include "runtime/error.hpp"
#include "tuner/tensor_map_arg.hpp"

namespace kpg {
namespace {

// A grid this large is a typo, not a tuning plan; refuse before allocating it.
constexpr double kMaxCandidatesPerSpace = 1e7;

std::string short_loc(const SourceLoc& loc) {
  return std::filesystem::path(loc.file).filename().string() + ":" + std::to_string(loc.line);
}

// Why the candidate's launch geometry cannot run on the device, if it cannot. Reasons
// carry limits, not the candidate's values, so that equal reasons are counted together.
std::optional<std::string> geometry_problem(const SpaceSpec& space, const Scope& scope, const DeviceLimits& limits) {
  for (const auto& launch : space.launches) {
    const std::string who = "launch " + launch.kernel + ": ";
    try {
      int64_t threads = 1;
      static constexpr int64_t kBlockMax[3] = {1024, 1024, 64};
      for (size_t i = 0; i < launch.block.size(); ++i) {
        const int64_t b = launch.block[i].eval_int(scope);
        if (b < 1) return who + "block dimension below 1";
        if (b > kBlockMax[i]) return who + "block dimension " + "xyz"[i] + " above " + std::to_string(kBlockMax[i]);
        threads *= b;
      }
      if (threads > limits.max_threads_per_block)
        return who + "block of more than " + std::to_string(limits.max_threads_per_block) + " threads";
      static constexpr int64_t kGridMax[3] = {std::numeric_limits<int32_t>::max(), 65535, 65535};
      for (size_t i = 0; i < launch.grid.size(); ++i) {
        const int64_t g = launch.grid[i].eval_int(scope);
        if (g < 1) return who + "grid dimension " + "xyz"[i] + " below 1";
        if (g > kGridMax[i]) return who + "grid dimension " + "xyz"[i] + " above " + std::to_string(kGridMax[i]);
      }
      const int64_t smem = launch.shared_bytes.eval_int(scope);
      if (smem < 0) return who + "negative shared_bytes";
      if (smem > limits.smem_optin)
        return who + "shared_bytes above the device's " + std::to_string(limits.smem_optin) + " bytes";
    } catch (const ConfigError& e) {
      return who + e.message() + " (" + short_loc(e.loc) + ")";
    }
  }
  return std::nullopt;
}

// "constraint {le: [N, 1024]} (softmax.yaml:31)", plus the YAML comment above it if any.
// A long expression (YAML aliases expand in it) is left out: the line and the comment say
// more than a page of nested maps.
std::string constraint_label(const SpaceSpec& space, size_t i) {
  constexpr size_t kLongestShown = 80;
  const Expr& c = space.constraints[i];
  const std::string note = i < space.constraint_notes.size() ? space.constraint_notes[i] : "";
  std::string text = c.to_string();
  if (text.size() > kLongestShown) text = note.empty() ? text.substr(0, kLongestShown - 4) + " ..." : "";
  std::string label = "constraint " + (text.empty() ? "" : text + " ") + "(" + short_loc(c.loc()) + ")";
  return note.empty() ? label : label + " \"" + note + "\"";
}

// The first constraint the candidate fails, if any.
std::optional<std::string> constraint_problem(const SpaceSpec& space, const Scope& scope) {
  for (size_t i = 0; i < space.constraints.size(); ++i) {
    try {
      if (space.constraints[i].eval(scope) == 0) return constraint_label(space, i);
    } catch (const ConfigError& e) {
      return constraint_label(space, i) + ": " + e.message();
    }
  }
  return std::nullopt;
}

}  // namespace

std::string describe_pruning(const PruneReport& report, size_t max_reasons) {
  if (report.total == 0) return "the grid has no candidates";
  std::vector<std::pair<std::string, size_t>> reasons(report.by_reason.begin(), report.by_reason.end());
  std::stable_sort(reasons.begin(), reasons.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  std::string out = report.kept == 0 ? "all " + std::to_string(report.total) + " candidates were pruned"
                                     : std::to_string(report.total - report.kept) + " of " +
                                           std::to_string(report.total) + " candidates were pruned";
  for (size_t i = 0; i < reasons.size() && i < max_reasons; ++i)
    out += (i == 0 ? ": " : "; ") + std::to_string(reasons[i].second) + " by " + reasons[i].first;
  if (reasons.size() > max_reasons) out += "; and " + std::to_string(reasons.size() - max_reasons) + " other reason(s)";
  return out;
}

std::string Candidate::id() const {
  std::string s = space_name;
  const char* sep = ":";
  for (const auto& [name, value] : params) {
    s += sep + name + "=" + std::to_string(value);
    sep = ",";
  }
  return s;
}

std::string_view space_of_candidate_id(std::string_view id) { return id.substr(0, id.find(':')); }

std::string_view params_of_candidate_id(std::string_view id) {
  const size_t colon = id.find(':');
  return colon == std::string_view::npos ? std::string_view() : id.substr(colon + 1);
}

// Why a space's own `arch` cannot run on the device, if it cannot: an arch-specific target
// ("sm_90a") runs only on that exact card, a plain one on its major with the same or a newer minor.
static std::optional<std::string> arch_problem(const SpaceSpec& space, const DeviceLimits& limits) {
  int target = 0;
  char suffix = 0;
  if (space.arch.empty() || limits.compute_capability == 0 || std::sscanf(space.arch.c_str(), "%*[a-z]_%d%c", &target, &suffix) < 1) return std::nullopt;
  const bool specific = suffix == 'a' || suffix == 'f';
  const bool runs = specific ? target == limits.compute_capability
                             : target / 10 == limits.compute_capability / 10 && target <= limits.compute_capability;
  if (runs) return std::nullopt;
  return "space '" + space.name + "' is built for " + space.arch + ": the device is sm_" +
         std::to_string(limits.compute_capability);
}

// Why enumerate() prunes the candidate of this space, if it does (its arch aside): the first
// constraint it fails, else launch geometry the device cannot run, else a tensor map the
// driver would refuse.
static std::optional<std::string> prune_reason(const SpaceSpec& space, const Candidate& c, const Shape& shape,
                                               const DeviceLimits& limits) {
  const Scope scope = make_scope(shape, c.params, limits);
  if (auto why = constraint_problem(space, scope)) return why;
  if (auto why = geometry_problem(space, scope, limits)) return why;
  return tensor_map_problem(space, shape, scope);
}

// How many values apart, summed over the params, the point at `index` (one position a param
// in its list) lies from the space's default.
static int steps_from_default(const SpaceSpec& space, const std::vector<size_t>& index) {
  int steps = 0;
  for (size_t p = 0; p < space.params.size(); ++p) {
    const auto& [name, values] = space.params[p];
    const auto d = std::find(values.begin(), values.end(), space.defaults.at(name)) - values.begin();
    steps += static_cast<int>(std::abs(static_cast<std::ptrdiff_t>(index[p]) - d));
  }
  return steps;
}

std::vector<Candidate> enumerate(const OpConfig& config, const VariantSpec& variant, const Shape& shape,
                                 const DeviceLimits& limits, PruneReport* report) {
  (void)config;  // the grid lives in the variant; kept for symmetry with compile_defines
  std::vector<Candidate> out;
  PruneReport local;
  PruneReport& r = report ? *report : local;
  for (size_t si = 0; si < variant.spaces.size(); ++si) {
    const SpaceSpec& space = variant.spaces[si];
    double size = 1;
    for (const auto& [name, values] : space.params) size *= static_cast<double>(values.size());
    if (size > kMaxCandidatesPerSpace)
      throw ConfigError(space.loc, "the grid has " + std::to_string(static_cast<int64_t>(size)) +
                                       " combinations; at most 10,000,000 per space");
    const auto wrong_arch = arch_problem(space, limits);
    // Odometer over the params, last param fastest, as itertools.product.
    std::vector<size_t> index(space.params.size(), 0);
    for (bool more = true; more;) {
      Candidate c{variant.name, si, space.name, {}, false};
      for (size_t p = 0; p < space.params.size(); ++p) c.params[space.params[p].first] = space.params[p].second[index[p]];
      c.is_default = c.params == space.defaults;
      c.steps_from_default = steps_from_default(space, index);
      ++r.total;
      if (const auto why = wrong_arch ? wrong_arch : prune_reason(space, c, shape, limits)) ++r.by_reason[*why];
      else out.push_back(std::move(c));
      more = false;
      for (size_t p = space.params.size(); p-- > 0;) {
        if (++index[p] < space.params[p].second.size()) {
          more = true;
          break;
        }
        index[p] = 0;
      }
    }
  }
  r.kept += out.size();
  return out;
}

std::optional<Candidate> first_default(const std::vector<Candidate>& candidates) {
  for (const auto& c : candidates)
    if (c.is_default) return c;
  if (!candidates.empty()) return candidates.front();
  return std::nullopt;
}

std::optional<Candidate> default_candidate(const OpConfig& config, const VariantSpec& variant, const Shape& shape,
                                           const DeviceLimits& limits) {
  // Each space's default alone, in order: the first that survives is the answer, as it
  // would be in the enumerated grid. Only when none does is the grid walked for its first.
  for (size_t si = 0; si < variant.spaces.size(); ++si) {
    const SpaceSpec& space = variant.spaces[si];
    Candidate c{variant.name, si, space.name, space.defaults, true};
    if (!arch_problem(space, limits) && !prune_reason(space, c, shape, limits)) return c;
  }
  return first_default(enumerate(config, variant, shape, limits, nullptr));
}

std::vector<std::pair<std::string, std::string>> compile_defines(const OpConfig& config, const Candidate& candidate,
                                                                 const Shape& shape, const DeviceLimits& limits) {
  const VariantSpec* variant = config.find_variant(candidate.variant);
  if (!variant || candidate.space_index >= variant->spaces.size())
    throw Error("candidate " + candidate.id() + " does not belong to " + config.op + "/" + candidate.variant);
  const SpaceSpec& space = variant->spaces[candidate.space_index];
  std::vector<std::pair<std::string, std::string>> defines;
  for (const auto& [name, values] : space.params) {
    const auto it = candidate.params.find(name);
    if (it == candidate.params.end()) throw Error("candidate " + candidate.id() + " has no value for " + name);
    defines.emplace_back(name, std::to_string(it->second));
  }
  const Scope scope = make_scope(shape, candidate.params, limits);
  for (const auto& [name, expr] : space.defines) defines.emplace_back(name, std::to_string(expr.eval_int(scope)));
  switch (shape.dtype) {
    case DType::f32: defines.emplace_back("KPG_DTYPE_F32", "1"); break;
    case DType::f16: defines.emplace_back("KPG_DTYPE_F16", "1"); break;
    case DType::bf16: defines.emplace_back("KPG_DTYPE_BF16", "1"); break;
    case DType::i32: throw Error("i32 is not an element type a kernel can be compiled for");
  }
  return defines;
}

}  // namespace kpg
