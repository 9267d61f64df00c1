// layernorm/unfused.cu, variant unfused of configs/layernorm.yaml: what eager code
// launches (5 kernels, intermediates in device memory).
//
//   layernorm_row_mean  mean[r] = sum x[r, :] / N                 (float32, [M])
//   layernorm_centre    xc = x - mean[r]                          (T, [M, N])
//   layernorm_row_rstd  rstd[r] = 1 / sqrt(sum xc^2 / N + eps)    (float32, [M])
//   layernorm_normalise xhat = xc * rstd[r]                       (T, [M, N])
//   layernorm_affine    y = xhat * gamma + beta
#include "kpg_eager.cuh"

// Reductions: one block of RTHREADS per row; elementwise steps: grid (M, chunk blocks) of
// ETHREADS, one 16-byte chunk per thread (kpg_eager.cuh).
namespace layernorm_unfused_cfg {
KPG_PARAM(kReduceThreads, RTHREADS);   // row_mean, row_rstd
KPG_PARAM(kElementThreads, ETHREADS);  // centre, normalise, affine
}  // namespace layernorm_unfused_cfg

extern "C" __global__ void __launch_bounds__(layernorm_unfused_cfg::kReduceThreads, 1)
    layernorm_row_mean(const kpg_t* __restrict__ x, float* __restrict__ mean, int M, int N) {
  // The sum runs over x - x[r, 0], as in the fused kernels; padding reads as the shift.
  const kpg_t* row = block_row(x, N);
  const float shift = to_float(row[0]);
  reduce_row<layernorm_unfused_cfg::kReduceThreads, SumOp>(
      row, mean, N, shift, [shift](float v) { return v - shift; },
      [shift, N](float s) { return shift + s / N; });
}

extern "C" __global__ void __launch_bounds__(layernorm_unfused_cfg::kElementThreads, 1)
    layernorm_centre(const kpg_t* __restrict__ x, const float* __restrict__ mean,
                     kpg_t* __restrict__ xc, int M, int N) {
  rowwise_with_row_value<layernorm_unfused_cfg::kElementThreads>(
      x, mean, xc, N, [](float v, float m) { return v - m; });
}

extern "C" __global__ void __launch_bounds__(layernorm_unfused_cfg::kReduceThreads, 1)
    layernorm_row_rstd(const kpg_t* __restrict__ xc, float* __restrict__ rstd, float eps, int M,
                       int N) {
  norm_rstd<layernorm_unfused_cfg::kReduceThreads>(xc, rstd, N, eps,
                                                   [](float v) { return v * v; });
}

extern "C" __global__ void __launch_bounds__(layernorm_unfused_cfg::kElementThreads, 1)
    layernorm_normalise(const kpg_t* __restrict__ xc, const float* __restrict__ rstd,
                        kpg_t* __restrict__ xhat, int M, int N) {
  norm_normalise<layernorm_unfused_cfg::kElementThreads>(xc, rstd, xhat, N);
}

extern "C" __global__ void __launch_bounds__(layernorm_unfused_cfg::kElementThreads, 1)
    layernorm_affine(const kpg_t* __restrict__ xhat, const kpg_t* __restrict__ gamma,
                     const kpg_t* __restrict__ beta, kpg_t* __restrict__ y, int M, int N) {
  norm_affine<layernorm_unfused_cfg::kElementThreads, true>(xhat, gamma, beta, y, N);
}
