// rmsnorm.cu: y[r, :] = x[r, :] * rstd_r * gamma, rstd_r = 1 / sqrt(mean(x[r, :]^2) + eps)
// (LLaMA-style RMSNorm, no bias, no centring). float32 statistics for every element type;
// rstd[r] (float32, [M]) is written when the pointer is not null. Entry points
// (configs/rmsnorm.yaml):
//
//  fused, row in registers (x read once, y written once):
//    rmsnorm_warp        one warp per row, WARPS rows per block, COLS chunks per lane
//    rmsnorm_block       one block of THREADS per row, COLS chunks per thread
//  fused, raw-first (same math; every load of x and gamma issues before any is used, see
//  kpg_rows.cuh "raw-first row loads"; STREAM=1 adds read-once/write-once cache hints):
//    rmsnorm_warp_ilp    one warp per ROWS rows, WARPS warps per block, COLS chunks per lane
//    rmsnorm_block_ilp   one block of THREADS per row, COLS chunks per thread
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

// ---------------------------------------------------------------- raw-first (ILP)
// Rows rows per group of Tpr threads; x and gamma stay raw 16-byte words until all their
// loads have issued (gamma before the reduction, so its latency hides behind x's).
template <int Cols, int Tpr, int Rows, bool Stream>
__device__ __forceinline__ void rmsnorm_rows_raw_first(const kpg_t* x, const kpg_t* gamma,
                                                       kpg_t* y, float* rstd_out, long long row0,
                                                       int rows_valid, float eps, int n, int t,
                                                       float* scratch) {
  RowWindow w[Rows];
  uint4 xr[Rows][Cols], gr[Rows][Cols];
#pragma unroll
  for (int r = 0; r < Rows; ++r) {
    const kpg_t* xrow = x + (row0 + r) * n;
    const bool valid = r < rows_valid;  // rows past M load nothing and store nothing
    w[r] = row_window(valid ? xrow : x, valid ? n : 0);
    load_fragment_raw<Cols, Tpr, Stream>(xrow, w[r], 0, w[r].chunks, t, xr[r]);
  }
#pragma unroll
  for (int r = 0; r < Rows; ++r)
#pragma unroll
    for (int i = 0; i < Cols; ++i)
      gr[r][i] = load_chunk_raw<false>(gamma, frag_k0(w[r], 0, t, i, Tpr), w[r].n);

  float rstd[Rows];
#pragma unroll
  for (int r = 0; r < Rows; ++r) {
    float squares = 0.0f;  // elements outside the row are zero bits: they add 0
#pragma unroll
    for (int i = 0; i < Cols; ++i)
#pragma unroll
      for (int j = 0; j < kVec; ++j) {
        const float v = raw_element(xr[r][i], j);
        squares += v * v;
      }
    rstd[r] = squares;
  }
#pragma unroll
  for (int r = 0; r < Rows; ++r) {
    rstd[r] = rsqrtf(group_sum<Tpr>(rstd[r], scratch) / n + eps);
    if (w[r].chunks > Cols * Tpr) rstd[r] = kpg_nan();  // row does not fit: loud NaN
  }

#pragma unroll
  for (int r = 0; r < Rows; ++r) {
    if (r >= rows_valid) break;  // group-uniform
    const long long row = row0 + r;
    if (t == 0 && rstd_out != nullptr) rstd_out[row] = rstd[r];
    kpg_t* yrow = y + row * n;
#pragma unroll
    for (int i = 0; i < Cols; ++i) {
      const int k0 = frag_k0(w[r], 0, t, i, Tpr);
      if (k0 >= n) break;  // later chunks lie further right
      float v[kVec];
#pragma unroll
      for (int j = 0; j < kVec; ++j)
        v[j] = raw_element(xr[r][i], j) * rstd[r] * raw_element(gr[r][i], j);
      store_chunk_hinted<Stream>(yrow, k0, n, v);
    }
  }
}

namespace rmsnorm_ilp_cfg {
constexpr int kWarps = KPG_DEFAULT(WARPS, 4);
constexpr int kRows = KPG_DEFAULT(ROWS, 1);  // rows per warp (warp kernel)
constexpr int kThreads = KPG_DEFAULT(THREADS, 256);
constexpr int kCols = KPG_DEFAULT(COLS, 4);
constexpr bool kStream = KPG_DEFAULT(STREAM, 0) != 0;
}  // namespace rmsnorm_ilp_cfg

extern "C" __global__ void __launch_bounds__(rmsnorm_ilp_cfg::kWarps * 32, 1)
    rmsnorm_warp_ilp(const kpg_t* __restrict__ x, const kpg_t* __restrict__ gamma,
                     kpg_t* __restrict__ y, float* __restrict__ rstd, float eps, int M, int N) {
  using namespace rmsnorm_ilp_cfg;
  const long long row0 =
      (static_cast<long long>(blockIdx.x) * kWarps + (threadIdx.x >> 5)) * kRows;
  if (row0 >= M) return;  // whole warps leave together: warp shuffles stay full
  const int rows_valid = static_cast<int>(min(static_cast<long long>(kRows), M - row0));
  rmsnorm_rows_raw_first<kCols, 32, kRows, kStream>(x, gamma, y, rstd, row0, rows_valid, eps, N,
                                                    threadIdx.x & 31, nullptr);
}

extern "C" __global__ void __launch_bounds__(rmsnorm_ilp_cfg::kThreads, 1)
    rmsnorm_block_ilp(const kpg_t* __restrict__ x, const kpg_t* __restrict__ gamma,
                      kpg_t* __restrict__ y, float* __restrict__ rstd, float eps, int M, int N) {
  using namespace rmsnorm_ilp_cfg;
  __shared__ float scratch[32];
  rmsnorm_rows_raw_first<kCols, kThreads, 1, kStream>(x, gamma, y, rstd, blockIdx.x, 1, eps, N,
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
