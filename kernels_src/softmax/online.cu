// softmax/online.cu, space online of configs/softmax.yaml: rows of any length, streamed
// (x read twice, y written once).
//
//   softmax_online   one block per row, running max & sum, then a normalising pass
#include "softmax/common.cuh"

namespace softmax_online_cfg {
KPG_PARAM(kThreads, THREADS);
KPG_PARAM(kUnroll, UNROLL);  // chunks in flight per thread
}  // namespace softmax_online_cfg

extern "C" __global__ void __launch_bounds__(softmax_online_cfg::kThreads, 1)
    softmax_online(const kpg_t* __restrict__ x, kpg_t* __restrict__ y, int M, int N) {
  using namespace softmax_online_cfg;
  __shared__ float2 scratch[32];
  const long long offset = static_cast<long long>(blockIdx.x) * N;
  const kpg_t* xr = x + offset;
  kpg_t* yr = y + offset;
  const RowWindow w = row_window(xr, N);
  constexpr int kStep = kThreads * kUnroll;

  // Pass 1: running max and sum, kUnroll chunks loaded before any is used.
  float2 state = make_float2(kpg_neg_inf(), 0.0f);
  for (int base = 0; base < w.chunks; base += kStep) {
    float v[kUnroll][kVec];
#pragma unroll
    for (int u = 0; u < kUnroll; ++u)
      load_chunk(xr, (base + u * kThreads + threadIdx.x) * kVec - w.mis, N, v[u], kpg_neg_inf());
    float m = state.x;
#pragma unroll
    for (int u = 0; u < kUnroll; ++u)
#pragma unroll
      for (int j = 0; j < kVec; ++j) m = fmaxf(m, v[u][j]);
    if (m == kpg_neg_inf()) continue;  // nothing finite yet
    float s = state.y * kpg_exp(state.x - m);
#pragma unroll
    for (int u = 0; u < kUnroll; ++u)
#pragma unroll
      for (int j = 0; j < kVec; ++j) s += kpg_exp(v[u][j] - m);
    state = make_float2(m, s);
  }
  state = block_reduce<kThreads>(state, scratch, MaxSumOp{});
  const float row_max = state.x;
  const float inv_sum = 1.0f / state.y;  // all -inf row: exp(NaN) * inf = NaN below

  // Pass 2, last chunks first: they are the ones most likely still in L2.
  const int last_base = (w.chunks - 1) / kStep * kStep;
  for (int base = last_base; base >= 0; base -= kStep) {
    float v[kUnroll][kVec];
#pragma unroll
    for (int u = 0; u < kUnroll; ++u)
      load_chunk(xr, (base + u * kThreads + threadIdx.x) * kVec - w.mis, N, v[u], 0.0f);
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
#pragma unroll
      for (int j = 0; j < kVec; ++j) v[u][j] = kpg_exp(v[u][j] - row_max) * inv_sum;
      store_chunk(yr, (base + u * kThreads + threadIdx.x) * kVec - w.mis, N, v[u]);
    }
  }
}
