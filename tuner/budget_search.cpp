#include "tuner/budget_search.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <limits>
#include <numeric>
#include <optional>
#include <utility>

namespace kpg {
namespace {

// Candidates by (space, params), and each space's sorted values per param: what "one
// step along a param" means.
class Neighbourhood {
 public:
  explicit Neighbourhood(const std::vector<Candidate>& candidates) : candidates_(candidates) {
    for (size_t i = 0; i < candidates.size(); ++i) {
      const auto& c = candidates[i];
      index_.emplace(std::make_pair(c.space_index, c.params), i);
      auto& values = values_[c.space_index];
      for (const auto& [name, v] : c.params) values[name].push_back(v);
    }
    for (auto& [space, params] : values_)
      for (auto& [name, list] : params) {
        std::sort(list.begin(), list.end());
        list.erase(std::unique(list.begin(), list.end()), list.end());
      }
  }

  // One step along one param; where that point was pruned by a constraint coupling the
  // param to another (WARPS=4 needs Q_IN_REGS=0), the step together with one step of one
  // other param that repairs it, so the search can cross the constraint.
  std::vector<size_t> of(size_t i) const {
    std::vector<size_t> out;
    const auto& c = candidates_[i];
    for (const auto& [name, v] : c.params)
      for (const int dir : {-1, 1}) {
        const auto p = stepped(c.params, c.space_index, name, v, dir);
        if (!p) continue;  // off the end of the param's values
        if (const auto j = find(c.space_index, *p)) {
          out.push_back(*j);
          continue;
        }
        for (const auto& [other, w] : c.params) {
          if (other == name) continue;
          for (const int other_dir : {-1, 1}) {
            const auto repaired = stepped(*p, c.space_index, other, w, other_dir);
            if (!repaired) continue;
            if (const auto j = find(c.space_index, *repaired)) out.push_back(*j);
          }
        }
      }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }

 private:
  // params with `name` moved one value (dir -1 or +1) along its sorted list, if there is one.
  std::optional<ParamSet> stepped(ParamSet params, size_t space, const std::string& name, int64_t v, int dir) const {
    const auto& list = values_.at(space).at(name);
    const auto pos = static_cast<size_t>(std::lower_bound(list.begin(), list.end(), v) - list.begin());
    const size_t next = pos + dir;  // wraps below 0 to a huge value
    if (next >= list.size()) return std::nullopt;
    params[name] = list[next];
    return params;
  }
  std::optional<size_t> find(size_t space, const ParamSet& params) const {
    const auto it = index_.find({space, params});
    if (it == index_.end()) return std::nullopt;  // pruned before timing
    return it->second;
  }

  const std::vector<Candidate>& candidates_;
  std::map<std::pair<size_t, ParamSet>, size_t> index_;
  std::map<size_t, std::map<std::string, std::vector<int64_t>>> values_;
};

// Deterministic for a seed on every standard library (std::uniform_int_distribution is not).
size_t pick(uint64_t& state, size_t n) {
  state += 0x9E3779B97F4A7C15ULL;  // splitmix64
  uint64_t z = state;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return static_cast<size_t>((z ^ (z >> 31)) % n);
}

// Grid steps from the candidate's space default: 0 for the default, -1 when not known.
int default_steps(const Candidate& c) { return c.is_default ? 0 : c.steps_from_default; }

// Where a search starts in each space, in space order: the space's default; where the shape
// prunes it, the surviving candidate fewest grid steps away from it (the first of a tie). A
// default pruned at some shapes (a tile too wide for the causal masks' registers) would
// otherwise leave its space to random picks, however well its neighbours run there.
std::vector<size_t> space_seeds(const std::vector<Candidate>& candidates) {
  std::map<size_t, size_t> seed;  // space -> candidate
  for (size_t i = 0; i < candidates.size(); ++i) {
    const int steps = default_steps(candidates[i]);
    if (steps < 0) continue;
    const auto [it, first] = seed.emplace(candidates[i].space_index, i);
    if (!first && steps < default_steps(candidates[it->second])) it->second = i;
  }
  std::vector<size_t> out;
  for (const auto& [space, i] : seed) out.push_back(i);
  return out;
}

}  // namespace

std::vector<size_t> neighbours(const std::vector<Candidate>& candidates, size_t i) {
  return Neighbourhood(candidates).of(i);
}

std::vector<size_t> budget_order(const std::vector<Candidate>& candidates, size_t budget, uint64_t seed,
                                 const std::function<double(const Candidate&)>& measure) {
  const size_t n = candidates.size();
  std::vector<size_t> order;
  if (budget == 0) return order;
  if (budget >= n) {
    for (size_t i = 0; i < n; ++i) {
      measure(candidates[i]);
      order.push_back(i);
    }
    return order;
  }
  const Neighbourhood hood(candidates);
  std::vector<double> cost(n, std::numeric_limits<double>::quiet_NaN());
  std::vector<size_t> unmeasured(n);
  std::iota(unmeasured.begin(), unmeasured.end(), 0);
  uint64_t rng = seed;
  const auto run = [&](size_t i) {
    cost[i] = measure(candidates[i]);
    order.push_back(i);
    unmeasured.erase(std::find(unmeasured.begin(), unmeasured.end(), i));
  };
  const auto random_unmeasured = [&] { return unmeasured[pick(rng, unmeasured.size())]; };

  // 1. A quarter of the budget spread at random, each space's seed first.
  const size_t sample = std::max<size_t>(1, budget / 4);
  for (const size_t i : space_seeds(candidates)) {
    if (order.size() == sample) break;
    run(i);
  }
  while (order.size() < sample) run(random_unmeasured());

  // 2. Best-first: an untimed neighbour of the fastest timed candidate that has one.
  while (order.size() < budget) {
    std::vector<size_t> timed;
    for (size_t i : order)
      if (std::isfinite(cost[i])) timed.push_back(i);
    std::sort(timed.begin(), timed.end(), [&](size_t a, size_t b) { return cost[a] < cost[b] || (cost[a] == cost[b] && a < b); });
    std::optional<size_t> next;
    for (size_t i : timed) {
      std::vector<size_t> open;
      for (size_t j : hood.of(i))
        if (std::isnan(cost[j])) open.push_back(j);
      if (!open.empty()) {
        next = open[pick(rng, open.size())];
        break;
      }
    }
    run(next ? *next : random_unmeasured());
  }
  return order;
}

}  // namespace kpg
