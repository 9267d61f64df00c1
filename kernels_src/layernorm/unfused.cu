// layernorm/unfused.cu, variant unfused of configs/layernorm.yaml: what eager code
// launches (5 kernels, intermediates in device memory).
//
//   layernorm_row_mean  mean[r] = sum x[r, :] / N                 (float32, [M])
//   layernorm_centre    xc = x - mean[r]                          (T, [M, N])
//   layernorm_row_rstd  rstd[r] = 1 / sqrt(sum xc^2 / N + eps)    (float32, [M])
//   layernorm_normalise xhat = xc * rstd[r]                       (T, [M, N])
//   layernorm_affine    y = xhat * gamma + beta
#include "kpg_rows.cuh"

// Reductions: one block of RTHREADS per row. Elementwise: grid (M, chunk blocks), one
// 16-byte chunk per thread.
namespace layernorm_unfused_cfg {
KPG_PARAM(kReduceThreads, RTHREADS);
KPG_PARAM(kElementThreads, ETHREADS);
}  // namespace layernorm_unfused_cfg

extern "C" __global__ void __launch_bounds__(layernorm_unfused_cfg::kReduceThreads, 1)
    layernorm_row_mean(const kpg_t* __restrict__ x, float* __restrict__ mean, int M, int N) {
  using namespace layernorm_unfused_cfg;
  __shared__ float scratch[32];
  const kpg_t* xr = x + static_cast<long long>(blockIdx.x) * N;
  const float shift = to_float(xr[0]);  // same shifted sum as the fused kernel
  float s = block_row_reduce<kReduceThreads>(
      xr, N, shift, 0.0f, [shift](float v) { return v - shift; },
      [](float a, float b) { return a + b; });
  s = block_sum<kReduceThreads>(s, scratch);
  if (threadIdx.x == 0) mean[blockIdx.x] = shift + s / N;
}

extern "C" __global__ void __launch_bounds__(layernorm_unfused_cfg::kElementThreads, 1)
    layernorm_centre(const kpg_t* __restrict__ x, const float* __restrict__ mean,
                     kpg_t* __restrict__ xc, int M, int N) {
  const float m = mean[blockIdx.x];
  rowwise_chunk_map<layernorm_unfused_cfg::kElementThreads>(x, xc, N, [m](float(&v)[kVec], int) {
#pragma unroll
    for (int j = 0; j < kVec; ++j) v[j] -= m;
  });
}

extern "C" __global__ void __launch_bounds__(layernorm_unfused_cfg::kReduceThreads, 1)
    layernorm_row_rstd(const kpg_t* __restrict__ xc, float* __restrict__ rstd, float eps, int M,
                       int N) {
  using namespace layernorm_unfused_cfg;
  __shared__ float scratch[32];
  const kpg_t* xr = xc + static_cast<long long>(blockIdx.x) * N;
  float s = block_row_reduce<kReduceThreads>(
      xr, N, 0.0f, 0.0f, [](float v) { return v * v; }, [](float a, float b) { return a + b; });
  s = block_sum<kReduceThreads>(s, scratch);
  if (threadIdx.x == 0) rstd[blockIdx.x] = rsqrtf(s / N + eps);
}

extern "C" __global__ void __launch_bounds__(layernorm_unfused_cfg::kElementThreads, 1)
    layernorm_normalise(const kpg_t* __restrict__ xc, const float* __restrict__ rstd,
                        kpg_t* __restrict__ xhat, int M, int N) {
  const float r = rstd[blockIdx.x];
  rowwise_chunk_map<layernorm_unfused_cfg::kElementThreads>(xc, xhat, N, [r](float(&v)[kVec], int) {
#pragma unroll
    for (int j = 0; j < kVec; ++j) v[j] *= r;
  });
}

extern "C" __global__ void __launch_bounds__(layernorm_unfused_cfg::kElementThreads, 1)
    layernorm_affine(const kpg_t* __restrict__ xhat, const kpg_t* __restrict__ gamma,
                     const kpg_t* __restrict__ beta, kpg_t* __restrict__ y, int M, int N) {
  rowwise_chunk_map<layernorm_unfused_cfg::kElementThreads>(
      xhat, y, N, [gamma, beta, N](float(&v)[kVec], int k0) {
        float g[kVec], b[kVec];
        load_chunk(gamma, k0, N, g, 0.0f);
        load_chunk(beta, k0, N, b, 0.0f);
#pragma unroll
        for (int j = 0; j < kVec; ++j) v[j] = v[j] * g[j] + b[j];
      });
}
