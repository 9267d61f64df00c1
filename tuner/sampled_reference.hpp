#pragma once
// Checking against float64 on sampled rows where the full reference would take minutes:
// a builtin reference that can declares a sampled form (tuner/references.hpp), and above
// kFullReferenceFlops the tuner, `kpg run` and the attention lesson check those rows only.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "tuner/workload.hpp"

namespace kpg {

// The full reference up to this many flops (seconds on every core), sampled rows above.
constexpr double kFullReferenceFlops = 4e10;
constexpr size_t kSampledReferenceRows = 256;

// Where the workload's builtin reference declares a sampled form and costs more than
// kFullReferenceFlops at its shape: gives the workload the reference of kSampledReferenceRows
// rows picked with `seed` (Workload::set_reference_sampled) and returns those rows. Else
// returns none, and the reference is computed whole on first use.
std::vector<int64_t> choose_sampled_reference(Workload& workload, uint64_t seed);

// ||out - ref|| / ||ref|| (L2) over the listed rows of two [rows, row_len] arrays; every row
// when `rows` is empty. 0 when both are zero; infinity when out has a NaN or inf.
double relative_l2_error(const std::vector<double>& out, const std::vector<double>& ref, int64_t row_len,
                         const std::vector<int64_t>& rows = {});

}  // namespace kpg
