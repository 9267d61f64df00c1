#include "tuner/sampled_reference.hpp"

#include <cmath>
#include <limits>

#include "runtime/error.hpp"
#include "tuner/references.hpp"

namespace kpg {

std::vector<int64_t> choose_sampled_reference(Workload& workload, uint64_t seed) {
  const SampledReference* sampled = find_sampled_reference(workload.config().reference.builtin);
  const auto& dims = workload.shape().dims;
  if (!sampled || sampled->full_flops(dims) <= kFullReferenceFlops) return {};
  std::vector<int64_t> rows = sampled->pick_rows(dims, kSampledReferenceRows, seed);
  auto expected = workload.zero_outputs();
  sampled->compute_rows(workload.inputs(), expected, dims, workload.scalars(), rows);
  workload.set_reference_sampled(std::move(expected), rows);
  return rows;
}

double relative_l2_error(const std::vector<double>& out, const std::vector<double>& ref, int64_t row_len,
                         const std::vector<int64_t>& rows) {
  if (out.size() != ref.size()) throw Error("relative_l2_error: sizes differ");
  double diff = 0, norm = 0;
  const auto add_row = [&](int64_t r) {
    for (int64_t c = 0; c < row_len; ++c) {
      const size_t i = static_cast<size_t>(r * row_len + c);
      diff += (out[i] - ref[i]) * (out[i] - ref[i]);
      norm += ref[i] * ref[i];
    }
  };
  if (rows.empty()) {
    for (int64_t r = 0; r < static_cast<int64_t>(ref.size()) / row_len; ++r) add_row(r);
  } else {
    for (const int64_t r : rows) add_row(r);
  }
  if (!std::isfinite(diff)) return std::numeric_limits<double>::infinity();
  if (norm == 0) return diff == 0 ? 0 : std::numeric_limits<double>::infinity();
  return std::sqrt(diff / norm);
}

}  // namespace kpg
