// rmsnorm.cu: y[r, :] = x[r, :] * rstd_r * gamma, rstd_r = 1 / sqrt(mean(x[r, :]^2) + eps)
// (LLaMA-style RMSNorm, no bias, no centring). float32 statistics for every element type;
// rstd[r] (float32, [M]) is written when the pointer is not null. Entry points
// (configs/rmsnorm.yaml):
//
//  fused, row in registers (x read once, y written once):
//    rmsnorm_warp        one warp per row, WARPS rows per block, COLS chunks per lane
//    rmsnorm_block       one block of THREADS per row, COLS chunks per thread
//  unfused, eager style (4 kernels: x.pow(2), .mean(-1) + eps -> rsqrt, x * rstd, * gamma):
//    rmsnorm_square      sq = x * x                                (T, [M, N])
//    rmsnorm_row_rstd    rstd[r] = 1 / sqrt(sum sq[r, :] / N + eps) (float32, [M])
//    rmsnorm_normalise   xhat = x * rstd[r]                        (T, [M, N])
//    rmsnorm_scale       y = xhat * gamma
#include "kpg_rows.cuh"

template <int Cols, int Tpr>
__device__ __forceinline__ void rmsnorm_row_in_registers(const kpg_t* x, const kpg_t* gamma,
                                                         kpg_t* y, float* rstd_out,
                                                         long long row, float eps, int n, int t,
                                                         float* scratch) {
  const RowWindow w = row_window(x, n);
  float v[Cols][kVec];
  load_fragment<Cols, Tpr>(x, w, 0, w.chunks, t, v, 0.0f);  // padding adds 0 to the squares
  float squares = 0.0f;
#pragma unroll
  for (int i = 0; i < Cols; ++i)
#pragma unroll
    for (int j = 0; j < kVec; ++j) squares += v[i][j] * v[i][j];
  float rstd = rsqrtf(group_sum<Tpr>(squares, scratch) / n + eps);
  // Cols assumes a 16-byte aligned buffer: a row that does not fit gives NaN, loudly.
  if (w.chunks > Cols * Tpr) rstd = kpg_nan();
  if (t == 0 && rstd_out != nullptr) rstd_out[row] = rstd;

#pragma unroll
  for (int i = 0; i < Cols; ++i) {
    const int k0 = frag_k0(w, 0, t, i, Tpr);
    if (k0 >= n) break;  // later chunks lie further right
    float g[kVec];
    load_chunk(gamma, k0, n, g, 0.0f);  // 16-byte loads when the row is aligned
#pragma unroll
    for (int j = 0; j < kVec; ++j) v[i][j] = v[i][j] * rstd * g[j];
    store_chunk(y, k0, n, v[i]);
  }
}

// ---------------------------------------------------------------- rmsnorm_warp
namespace rmsnorm_warp_cfg {
constexpr int kWarps = KPG_DEFAULT(WARPS, 4);
constexpr int kCols = KPG_DEFAULT(COLS, 8);  // chunks per lane: ceil_div(max chunks, 32)
}  // namespace rmsnorm_warp_cfg

extern "C" __global__ void __launch_bounds__(rmsnorm_warp_cfg::kWarps * 32, 1)
    rmsnorm_warp(const kpg_t* __restrict__ x, const kpg_t* __restrict__ gamma,
                 kpg_t* __restrict__ y, float* __restrict__ rstd, float eps, int M, int N) {
  using namespace rmsnorm_warp_cfg;
  const long long row = static_cast<long long>(blockIdx.x) * kWarps + (threadIdx.x >> 5);
  if (row >= M) return;  // whole warps leave together: warp shuffles stay full
  const long long offset = row * N;
  rmsnorm_row_in_registers<kCols, 32>(x + offset, gamma, y + offset, rstd, row, eps, N,
                                      threadIdx.x & 31, nullptr);
}

// ---------------------------------------------------------------- rmsnorm_block
namespace rmsnorm_block_cfg {
constexpr int kThreads = KPG_DEFAULT(THREADS, 256);
constexpr int kCols = KPG_DEFAULT(COLS, 4);  // chunks per thread: ceil_div(max chunks, THREADS)
}  // namespace rmsnorm_block_cfg

extern "C" __global__ void __launch_bounds__(rmsnorm_block_cfg::kThreads, 1)
    rmsnorm_block(const kpg_t* __restrict__ x, const kpg_t* __restrict__ gamma,
                  kpg_t* __restrict__ y, float* __restrict__ rstd, float eps, int M, int N) {
  using namespace rmsnorm_block_cfg;
  __shared__ float scratch[32];
  const long long row = blockIdx.x;
  const long long offset = row * N;
  rmsnorm_row_in_registers<kCols, kThreads>(x + offset, gamma, y + offset, rstd, row, eps, N,
                                            threadIdx.x, scratch);
}

// ---------------------------------------------------------------- unfused (eager)
namespace rmsnorm_unfused_cfg {
constexpr int kReduceThreads = KPG_DEFAULT(RTHREADS, 512);
constexpr int kElementThreads = KPG_DEFAULT(ETHREADS, 256);
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
