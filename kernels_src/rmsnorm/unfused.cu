// rmsnorm/unfused.cu, variant unfused of configs/rmsnorm.yaml: what eager code launches
// (4 kernels: x.pow(2), .mean(-1) + eps -> rsqrt, x * rstd, * gamma).
//
//   rmsnorm_square      sq = x * x                                (T, [M, N])
//   rmsnorm_row_rstd    rstd[r] = 1 / sqrt(sum sq[r, :] / N + eps) (float32, [M])
//   rmsnorm_normalise   xhat = x * rstd[r]                        (T, [M, N])
//   rmsnorm_scale       y = xhat * gamma
#include "kpg_rows.cuh"

namespace rmsnorm_unfused_cfg {
KPG_PARAM(kReduceThreads, RTHREADS);
KPG_PARAM(kElementThreads, ETHREADS);
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
  using namespace rmsnorm_unfused_cfg;
  __shared__ float scratch[32];
  const kpg_t* sr = sq + static_cast<long long>(blockIdx.x) * N;
  float s = block_row_reduce<kReduceThreads>(
      sr, N, 0.0f, 0.0f, [](float v) { return v; }, [](float a, float b) { return a + b; });
  s = block_sum<kReduceThreads>(s, scratch);
  if (threadIdx.x == 0) rstd[blockIdx.x] = rsqrtf(s / N + eps);
}

extern "C" __global__ void __launch_bounds__(rmsnorm_unfused_cfg::kElementThreads, 1)
    rmsnorm_normalise(const kpg_t* __restrict__ x, const float* __restrict__ rstd,
                      kpg_t* __restrict__ xhat, int M, int N) {
  const float r = rstd[blockIdx.x];
  rowwise_chunk_map<rmsnorm_unfused_cfg::kElementThreads>(x, xhat, N, [r](float(&v)[kVec], int) {
#pragma unroll
    for (int j = 0; j < kVec; ++j) v[j] *= r;
  });
}

extern "C" __global__ void __launch_bounds__(rmsnorm_unfused_cfg::kElementThreads, 1)
    rmsnorm_scale(const kpg_t* __restrict__ xhat, const kpg_t* __restrict__ gamma,
                  kpg_t* __restrict__ y, int M, int N) {
  rowwise_chunk_map<rmsnorm_unfused_cfg::kElementThreads>(
      xhat, y, N, [gamma, N](float(&v)[kVec], int k0) {
        float g[kVec];
        load_chunk(gamma, k0, N, g, 0.0f);
#pragma unroll
        for (int j = 0; j < kVec; ++j) v[j] *= g[j];
      });
}
