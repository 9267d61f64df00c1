// softmax/unfused.cu, variant unfused of configs/softmax.yaml: what eager PyTorch launches
// (4 kernels, intermediates in device memory).
//
//   softmax_row_max   rowmax[r] = max x[r, :]                     (float32, [M])
//   softmax_sub_exp   e[r, :] = exp(x[r, :] - rowmax[r])          (T, [M, N])
//   softmax_row_sum   rowsum[r] = sum e[r, :]                     (float32, [M])
//   softmax_div       y[r, :] = e[r, :] / rowsum[r]
#include "kpg_rows.cuh"

// Reductions: one block of RTHREADS per row. Elementwise: grid (M, chunk blocks), one
// 16-byte chunk per thread, as an eager framework's vectorised elementwise kernel.
namespace softmax_unfused_cfg {
KPG_PARAM(kReduceThreads, RTHREADS);
KPG_PARAM(kElementThreads, ETHREADS);
}  // namespace softmax_unfused_cfg

extern "C" __global__ void __launch_bounds__(softmax_unfused_cfg::kReduceThreads, 1)
    softmax_row_max(const kpg_t* __restrict__ x, float* __restrict__ rowmax, int M, int N) {
  using namespace softmax_unfused_cfg;
  __shared__ float scratch[32];
  const kpg_t* xr = x + static_cast<long long>(blockIdx.x) * N;
  float m = block_row_reduce<kReduceThreads>(
      xr, N, kpg_neg_inf(), kpg_neg_inf(), [](float v) { return v; },
      [](float a, float b) { return fmaxf(a, b); });
  m = block_max<kReduceThreads>(m, scratch);
  if (threadIdx.x == 0) rowmax[blockIdx.x] = m;
}

extern "C" __global__ void __launch_bounds__(softmax_unfused_cfg::kElementThreads, 1)
    softmax_sub_exp(const kpg_t* __restrict__ x, const float* __restrict__ rowmax,
                    kpg_t* __restrict__ e, int M, int N) {
  const float m = rowmax[blockIdx.x];
  rowwise_chunk_map<softmax_unfused_cfg::kElementThreads>(x, e, N, [m](float(&v)[kVec], int) {
#pragma unroll
    for (int j = 0; j < kVec; ++j) v[j] = kpg_exp(v[j] - m);
  });
}

extern "C" __global__ void __launch_bounds__(softmax_unfused_cfg::kReduceThreads, 1)
    softmax_row_sum(const kpg_t* __restrict__ e, float* __restrict__ rowsum, int M, int N) {
  using namespace softmax_unfused_cfg;
  __shared__ float scratch[32];
  const kpg_t* er = e + static_cast<long long>(blockIdx.x) * N;
  float s = block_row_reduce<kReduceThreads>(
      er, N, 0.0f, 0.0f, [](float v) { return v; }, [](float a, float b) { return a + b; });
  s = block_sum<kReduceThreads>(s, scratch);
  if (threadIdx.x == 0) rowsum[blockIdx.x] = s;
}

extern "C" __global__ void __launch_bounds__(softmax_unfused_cfg::kElementThreads, 1)
    softmax_div(const kpg_t* __restrict__ e, const float* __restrict__ rowsum,
                kpg_t* __restrict__ y, int M, int N) {
  const float s = rowsum[blockIdx.x];
  rowwise_chunk_map<softmax_unfused_cfg::kElementThreads>(e, y, N, [s](float(&v)[kVec], int) {
#pragma unroll
    for (int j = 0; j < kVec; ++j) v[j] = v[j] / s;
  });
}
