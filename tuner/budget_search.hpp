#pragma once
// A budgeted search for spaces too large to time exhaustively (`kpg tune --budget N`):
// a random sample (each space's default first), then best-first local search that
// measures the untimed neighbours (one param one step along its sorted values, same
// space; where a constraint pruned that point, the step plus one step of another param
// that leads back into the space) of the fastest candidate measured so far, falling back
// to random picks when every measured candidate's neighbourhood is exhausted.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "tuner/space.hpp"

namespace kpg {

// Calls `measure` on at most `budget` distinct candidates (all of them, in order, when
// budget >= candidates.size()) and returns their indices in the order measured.
// `measure` returns the time (lower is better; +infinity for a failed candidate).
// The same seed gives the same order for the same measurements.
std::vector<size_t> budget_order(const std::vector<Candidate>& candidates, size_t budget, uint64_t seed,
                                 const std::function<double(const Candidate&)>& measure);

// Indices of the candidates one step away from candidates[i], as above (for tests).
std::vector<size_t> neighbours(const std::vector<Candidate>& candidates, size_t i);

}  // namespace kpg
