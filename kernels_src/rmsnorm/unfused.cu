// rmsnorm/unfused.cu, variant unfused of configs/rmsnorm.yaml: what eager code launches
// (4 kernels: x.pow(2), .mean(-1) + eps -> rsqrt, x * rstd, * gamma).
//
//   rmsnorm_square      sq = x * x                                (T, [M, N])
//   rmsnorm_row_rstd    rstd[r] = 1 / sqrt(sum sq[r, :] / N + eps) (float32, [M])
//   rmsnorm_normalise   xhat = x * rstd[r]                        (T, [M, N])
//   rmsnorm_scale       y = xhat * gamma
#include "kpg_eager.cuh"

// Reductions: one block of RTHREADS per row; elementwise steps: grid (M, chunk blocks) of
// ETHREADS, one 16-byte chunk per thread (kpg_eager.cuh).
namespace rmsnorm_unfused_cfg {
KPG_PARAM(kReduceThreads, RTHREADS);   // row_rstd
KPG_PARAM(kElementThreads, ETHREADS);  // square, normalise, scale
}  // namespace rmsnorm_unfused_cfg

extern "C" __global__ void __launch_bounds__(rmsnorm_unfused_cfg::kElementThreads, 1)
    rmsnorm_square(const kpg_t* __restrict__ x, kpg_t* __restrict__ sq, int M, int N) {
  rowwise_chunk_map<rmsnorm_unfused_cfg::kElementThreads>(x, sq, N, [](float(&v)[kVec], int) {
#pragma unroll
    for (int j = 0; j < kVec; ++j) v[j] *= v[j];
  });
}

extern "C" __global__ void __launch_bounds__(rmsnorm_unfused_cfg::kReduceThreads, 1)
    rmsnorm_row_rstd(const kpg_t* __restrict__ sq, float* __restrict__ rstd, float eps, int M,
                     int N) {
  norm_rstd<rmsnorm_unfused_cfg::kReduceThreads>(sq, rstd, N, eps, Unchanged{});  // squares
}

extern "C" __global__ void __launch_bounds__(rmsnorm_unfused_cfg::kElementThreads, 1)
    rmsnorm_normalise(const kpg_t* __restrict__ x, const float* __restrict__ rstd,
                      kpg_t* __restrict__ xhat, int M, int N) {
  norm_normalise<rmsnorm_unfused_cfg::kElementThreads>(x, rstd, xhat, N);  // no centring
}

extern "C" __global__ void __launch_bounds__(rmsnorm_unfused_cfg::kElementThreads, 1)
    rmsnorm_scale(const kpg_t* __restrict__ xhat, const kpg_t* __restrict__ gamma,
                  kpg_t* __restrict__ y, int M, int N) {
  norm_affine<rmsnorm_unfused_cfg::kElementThreads, false>(xhat, gamma, nullptr, y, N);
}
