#pragma once
// Checking attention where the full float64 reference is too slow. The builtin reference
// costs 4*B*H*N^2*D flops on the CPU (about 1e13 at N = 16384: hours); the same formula on
// a sample of query rows costs 4*rows*N*D (about 1e9 for 256 rows: a second) and checks
// every kernel tile that matters: the first and last rows of a sequence (edge tiles,
// causal diagonal), plus rows drawn at random across batches and heads.
//
// A row is one (b, h, i) triple, numbered (b * H + h) * N + i: the leading dims of
// o [B, H, N, D] (a row of D values) and of lse [B, H, N] (one value).

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tuner/references.hpp"
#include "tuner/workload.hpp"

namespace kpg {

// `count` distinct rows (all of them when there are fewer), sorted: rows 0 and N-1 of the
// first and last (b, h) slices, then uniform random rows. Deterministic for a seed.
std::vector<int64_t> sample_attention_rows(int64_t batch_heads, int64_t seq_len, size_t count, uint64_t seed);

// Float64 o and lse of the listed rows from the inputs q, k, v [B, H, N, D], as the builtin
// `attention` reference computes them (same scores, masking and fully-masked convention).
// The tensors have the outputs' full shapes; rows not listed hold 0 and must not be checked.
std::map<std::string, HostTensor> attention_reference_rows(const std::map<std::string, HostTensor>& inputs,
                                                           const std::vector<int64_t>& rows, bool causal,
                                                           double scale);

// ||out - ref|| / ||ref|| (L2) over the listed rows of two [rows, row_len] arrays; every row
// when `rows` is empty. 0 when both are zero; infinity when out has a NaN or inf.
double relative_l2_error(const std::vector<double>& out, const std::vector<double>& ref, int64_t row_len,
                         const std::vector<int64_t>& rows = {});

// Gives the workload the reference of those rows only, so that the tuner and verify()
// check exactly them (Workload::set_reference_sampled).
void set_sampled_attention_reference(Workload& workload, const std::vector<int64_t>& rows);

// What the tuner checks attention against: the full float64 reference up to
// kFullAttentionReferenceFlops (seconds on every core), above that kSampledAttentionRows
// sampled rows (set here). Returns the rows sampled; empty for the full reference.
constexpr double kFullAttentionReferenceFlops = 4e10;
constexpr size_t kSampledAttentionRows = 256;
std::vector<int64_t> choose_attention_reference(Workload& workload, uint64_t seed);

}  // namespace kpg
