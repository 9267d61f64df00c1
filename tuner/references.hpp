#pragma once
// Float64 CPU references that `reference: {builtin: NAME}` in configs/*.yaml names.
// Each computes in double with the numerically careful formulation (max-subtracted
// softmax, two-pass statistics) so that it is the yardstick, never the suspect.
//
// Contract (buffer names are those of configs/*.yaml):
//   softmax    in  x[M,N]                          out y[M,N]
//   layernorm  in  x[M,N], gamma[N], beta[N]       out y[M,N], mean[M], rstd[M]   scalar eps
//   rmsnorm    in  x[M,N], gamma[N]                out y[M,N], rstd[M]            scalar eps
//   attention  in  q,k,v[B,H,N,D]                  out o[B,H,N,D], lse[B,H,N]     scalar scale, dim CAUSAL
//   bias_gelu  in  x[M,N], bias[N]                 out y[M,N] = gelu_tanh(x + bias)
//   scale      in  x[any shape]                    out y = alpha * x (same shape)       scalar alpha
// Row-wise ops take x of any rank >= 1: N is the last dimension, M the product of the rest.
//
// The caller pre-populates `outputs` with the names it wants (and their shapes); the
// reference fills only those, sized to the shape's element count. A name the reference
// does not produce, a missing input, or a shape that disagrees with the inputs (or with
// a dim of the same name in `dims`) throws kpg::InputError naming the reference and buffer.
//
// Scalars and dims that may be absent: eps defaults to 1e-5 (PyTorch's default), scale
// to 1/sqrt(D), alpha to 1, CAUSAL to 0.
//
// Edge cases, decided once:
//   softmax: a row of all -inf gives NaN (0/0), as PyTorch does; NaN inputs propagate.
//   attention: a fully masked row (every score -inf) gives o = 0 and lse = -inf, the
//     FlashAttention convention. With CAUSAL=1 query i sees keys 0..i (top-left aligned).
//   gelu: tanh approximation, PyTorch's gelu(approximate='tanh').
// Cost: attention is 4*B*H*N*N*D flops (N*N*D multiply-adds for QK^T and as many for PV),
// spread over one std::thread per core, one (b,h) slice at a time. Measured about 1.8 GFLOP/s
// per core (B=1,H=8,N=1024,D=64: 0.58 s on 2 cores), so B=4,H=32,N=1024,D=64 (34 GFLOP)
// takes ~9 s on 2 cores, ~1-2 s on 16: tutorials use small shapes to check attention.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace kpg {

struct HostTensor {
  std::vector<double> values;
  std::vector<int64_t> shape;
};

using BuiltinReference = std::function<void(const std::map<std::string, HostTensor>& inputs,
                                            std::map<std::string, HostTensor>& outputs,
                                            const std::map<std::string, int64_t>& dims,
                                            const std::map<std::string, double>& scalars)>;

// nullptr when no builtin has that name.
const BuiltinReference* find_builtin_reference(std::string_view name);

// What a builtin declares when its full reference grows too slow for the largest shapes
// (attention: 4*B*H*N^2*D flops, hours on the CPU at N = 16384): the same formula on a
// sample of rows, which checks every kernel tile that matters in about a second. A row
// numbers the outputs' leading elements as Workload::set_reference_sampled views them
// (attention: (b * H + h) * N + i, a row of D values of o and one of lse).
struct SampledReference {
  // Flops of the full reference at these dims: what decides to sample.
  double (*full_flops)(const std::map<std::string, int64_t>& dims);
  // `count` distinct rows (all of them when there are fewer), sorted: edge rows first, then
  // uniform random ones. Deterministic for a seed.
  std::vector<int64_t> (*pick_rows)(const std::map<std::string, int64_t>& dims, size_t count, uint64_t seed);
  // Fills the requested outputs (full shapes) on those rows only, as the full reference
  // would; other rows hold 0. Same contract and errors as the builtin.
  void (*compute_rows)(const std::map<std::string, HostTensor>& inputs, std::map<std::string, HostTensor>& outputs,
                       const std::map<std::string, int64_t>& dims, const std::map<std::string, double>& scalars,
                       const std::vector<int64_t>& rows);
};

// nullptr when the builtin has no sampled form (its full reference is always fast enough).
const SampledReference* find_sampled_reference(std::string_view name);
// Sorted names of every builtin (for validation messages and `kpg` listings).
std::vector<std::string> builtin_reference_names();

}  // namespace kpg
