#include "tuner/sampled_reference.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <set>

#include "runtime/error.hpp"

namespace kpg {
namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

const HostTensor& input(const std::map<std::string, HostTensor>& inputs, const char* name) {
  const auto it = inputs.find(name);
  if (it == inputs.end()) throw Error(std::string("attention reference rows: no input '") + name + "'");
  if (it->second.shape.size() != 4)
    throw Error(std::string("attention reference rows: input '") + name + "' is not [B,H,N,D]");
  return it->second;
}

// One query row: scores against its visible keys, max-subtracted softmax, P V; the builtin
// reference's formulation (tuner/references.cpp), so both agree to rounding.
void reference_row(const double* q, const double* k, const double* v, int64_t keys, int64_t d, double scale,
                   std::vector<double>& scores, double* o, double* lse) {
  double mx = kNegInf;
  for (int64_t j = 0; j < keys; ++j) {
    double dot = 0;
    for (int64_t c = 0; c < d; ++c) dot += q[c] * k[j * d + c];
    scores[static_cast<size_t>(j)] = scale * dot;
    mx = std::max(mx, scores[static_cast<size_t>(j)]);
  }
  if (mx == kNegInf) {  // fully masked: o = 0, lse = -inf
    *lse = kNegInf;
    return;
  }
  double sum = 0;
  for (int64_t j = 0; j < keys; ++j) sum += (scores[static_cast<size_t>(j)] = std::exp(scores[static_cast<size_t>(j)] - mx));
  *lse = mx + std::log(sum);
  for (int64_t j = 0; j < keys; ++j) {
    const double p = scores[static_cast<size_t>(j)] / sum;
    for (int64_t c = 0; c < d; ++c) o[c] += p * v[j * d + c];
  }
}

}  // namespace

std::vector<int64_t> sample_attention_rows(int64_t batch_heads, int64_t seq_len, size_t count, uint64_t seed) {
  const int64_t total = batch_heads * seq_len;
  std::set<int64_t> rows;
  if (static_cast<int64_t>(count) >= total) {
    for (int64_t r = 0; r < total; ++r) rows.insert(r);
    return {rows.begin(), rows.end()};
  }
  // Edge rows first: the first and last query of the first and last slice.
  for (int64_t bh : {int64_t{0}, batch_heads - 1})
    for (int64_t i : {int64_t{0}, seq_len - 1})
      if (rows.size() < count) rows.insert(bh * seq_len + i);
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int64_t> pick(0, total - 1);
  while (rows.size() < count) rows.insert(pick(rng));
  return {rows.begin(), rows.end()};
}

std::map<std::string, HostTensor> attention_reference_rows(const std::map<std::string, HostTensor>& inputs,
                                                           const std::vector<int64_t>& rows, bool causal,
                                                           double scale) {
  const HostTensor& q = input(inputs, "q");
  const HostTensor& k = input(inputs, "k");
  const HostTensor& v = input(inputs, "v");
  if (k.shape != q.shape || v.shape != q.shape) throw Error("attention reference rows: q, k, v shapes differ");
  const int64_t b = q.shape[0], h = q.shape[1], n = q.shape[2], d = q.shape[3];
  std::map<std::string, HostTensor> out;
  out["o"] = HostTensor{std::vector<double>(static_cast<size_t>(b * h * n * d)), q.shape};
  out["lse"] = HostTensor{std::vector<double>(static_cast<size_t>(b * h * n)), {b, h, n}};
  std::vector<double> scores(static_cast<size_t>(n));
  for (const int64_t row : rows) {
    if (row < 0 || row >= b * h * n) throw Error("attention reference rows: row " + std::to_string(row) + " out of range");
    const int64_t slice = row / n, i = row % n;
    const size_t kv = static_cast<size_t>(slice * n * d);
    reference_row(q.values.data() + row * d, k.values.data() + kv, v.values.data() + kv, causal ? i + 1 : n, d,
                  scale, scores, out["o"].values.data() + row * d, out["lse"].values.data() + row);
  }
  return out;
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

void set_sampled_attention_reference(Workload& workload, const std::vector<int64_t>& rows) {
  const auto& dims = workload.shape().dims;
  const auto scale_it = workload.scalars().find("scale");
  const double scale = scale_it != workload.scalars().end()
                           ? scale_it->second
                           : 1.0 / std::sqrt(static_cast<double>(dims.at("D")));
  const bool causal = dims.count("CAUSAL") && dims.at("CAUSAL") != 0;
  workload.set_reference_sampled(attention_reference_rows(workload.inputs(), rows, causal, scale), rows);
}

std::vector<int64_t> choose_attention_reference(Workload& workload, uint64_t seed) {
  const auto& dims = workload.shape().dims;
  const int64_t bh = dims.at("B") * dims.at("H"), n = dims.at("N");
  const bool causal = dims.count("CAUSAL") && dims.at("CAUSAL") != 0;
  const double flops = 4.0 * static_cast<double>(bh * dims.at("D")) * static_cast<double>(n) * static_cast<double>(n);
  if ((causal ? flops / 2 : flops) <= kFullAttentionReferenceFlops) return {};
  auto rows = sample_attention_rows(bh, n, kSampledAttentionRows, seed);
  set_sampled_attention_reference(workload, rows);
  return rows;
}

}  // namespace kpg
