// layernorm.cu: y[r, :] = (x[r, :] - mean_r) * rstd_r * gamma + beta over rows of length N,
// rstd_r = 1 / sqrt(var_r + eps) with the biased variance. Statistics in float32 for every
// element type; mean[r] and rstd[r] (float32, [M]) are written when the pointers are not
// null (what a backward pass needs). Entry points (configs/layernorm.yaml):
//
//  fused, row in registers (x read once, y written once, gamma/beta per row from L1/L2):
//    layernorm_warp      one warp per row, WARPS rows per block, COLS chunks per lane
//    layernorm_block     one block of THREADS per row, COLS chunks per thread
//  fused, raw-first (same math; every load of x, gamma and beta issues before any is
//  used, see kpg_rows.cuh "raw-first row loads"; STREAM=1 adds read-once/write-once
//  cache hints):
//    layernorm_warp_ilp  one warp per ROWS rows, WARPS warps per block, COLS chunks per lane
//    layernorm_block_ilp one block of THREADS per row, COLS chunks per thread
//  unfused, eager style (5 kernels, intermediates in device memory):
//    layernorm_row_mean  mean[r] = sum x[r, :] / N                 (float32, [M])
//    layernorm_centre    xc = x - mean[r]                          (T, [M, N])
//    layernorm_row_rstd  rstd[r] = 1 / sqrt(sum xc^2 / N + eps)    (float32, [M])
//    layernorm_normalise xhat = xc * rstd[r]                       (T, [M, N])
//    layernorm_affine    y = xhat * gamma + beta
//
// Numerics: sums run over x - x[r, 0] (exact for values within a factor of two of each
// other), so a row with mean 1e4 and unit variance keeps its small spread; the variance
// is the two-pass sum of squared deviations from the mean, never E[x^2] - E[x]^2.
#include "kpg_rows.cuh"

template <int Cols, int Tpr>
__device__ __forceinline__ void layernorm_row_in_registers(
    const kpg_t* x, const kpg_t* gamma, const kpg_t* beta, kpg_t* y, float* mean_out,
    float* rstd_out, long long row, float eps, int n, int t, float* scratch) {
  const RowWindow w = row_window(x, n);
  const float shift = to_float(x[0]);  // one broadcast load per thread

  float v[Cols][kVec];
  load_fragment<Cols, Tpr>(x, w, 0, w.chunks, t, v, shift);  // padding: deviation 0
  float sum = 0.0f;
#pragma unroll
  for (int i = 0; i < Cols; ++i)
#pragma unroll
    for (int j = 0; j < kVec; ++j) {
      v[i][j] -= shift;
      sum += v[i][j];
    }
  const float mean_shifted = group_sum<Tpr>(sum, scratch) / n;

  float squares = 0.0f;
#pragma unroll
  for (int i = 0; i < Cols; ++i) {
    const int k0 = frag_k0(w, 0, t, i, Tpr);
#pragma unroll
    for (int j = 0; j < kVec; ++j) {
      const float d = in_row(k0, j, n) ? v[i][j] - mean_shifted : 0.0f;
      squares += d * d;
    }
  }
  float rstd = rsqrtf(group_sum<Tpr>(squares, scratch) / n + eps);
  // Cols comes from a formula that assumes a 16-byte aligned buffer: should a row ever
  // need more chunks than the registers hold, the output is NaN, never silently wrong.
  if (w.chunks > Cols * Tpr) rstd = kpg_nan();
  if (t == 0) {
    if (mean_out != nullptr) mean_out[row] = shift + mean_shifted;
    if (rstd_out != nullptr) rstd_out[row] = rstd;
  }

#pragma unroll
  for (int i = 0; i < Cols; ++i) {
    const int k0 = frag_k0(w, 0, t, i, Tpr);
    if (k0 >= n) break;  // later chunks lie further right
    float g[kVec], b[kVec];
    load_chunk(gamma, k0, n, g, 0.0f);  // 16-byte loads when the row is aligned
    load_chunk(beta, k0, n, b, 0.0f);
#pragma unroll
    for (int j = 0; j < kVec; ++j) v[i][j] = (v[i][j] - mean_shifted) * rstd * g[j] + b[j];
    store_chunk(y, k0, n, v[i]);
  }
}

// ---------------------------------------------------------------- layernorm_warp
namespace layernorm_warp_cfg {
constexpr int kWarps = KPG_DEFAULT(WARPS, 4);
constexpr int kCols = KPG_DEFAULT(COLS, 8);  // chunks per lane: ceil_div(max chunks, 32)
}  // namespace layernorm_warp_cfg

extern "C" __global__ void __launch_bounds__(layernorm_warp_cfg::kWarps * 32, 1)
    layernorm_warp(const kpg_t* __restrict__ x, const kpg_t* __restrict__ gamma,
                   const kpg_t* __restrict__ beta, kpg_t* __restrict__ y,
                   float* __restrict__ mean, float* __restrict__ rstd, float eps, int M, int N) {
  using namespace layernorm_warp_cfg;
  const long long row = static_cast<long long>(blockIdx.x) * kWarps + (threadIdx.x >> 5);
  if (row >= M) return;  // whole warps leave together: warp shuffles stay full
  const long long offset = row * N;
  layernorm_row_in_registers<kCols, 32>(x + offset, gamma, beta, y + offset, mean, rstd, row,
                                        eps, N, threadIdx.x & 31, nullptr);
}

// ---------------------------------------------------------------- layernorm_block
namespace layernorm_block_cfg {
constexpr int kThreads = KPG_DEFAULT(THREADS, 256);
constexpr int kCols = KPG_DEFAULT(COLS, 4);  // chunks per thread: ceil_div(max chunks, THREADS)
}  // namespace layernorm_block_cfg

extern "C" __global__ void __launch_bounds__(layernorm_block_cfg::kThreads, 1)
    layernorm_block(const kpg_t* __restrict__ x, const kpg_t* __restrict__ gamma,
                    const kpg_t* __restrict__ beta, kpg_t* __restrict__ y,
                    float* __restrict__ mean, float* __restrict__ rstd, float eps, int M, int N) {
  using namespace layernorm_block_cfg;
  __shared__ float scratch[32];
  const long long row = blockIdx.x;
  const long long offset = row * N;
  layernorm_row_in_registers<kCols, kThreads>(x + offset, gamma, beta, y + offset, mean, rstd,
                                              row, eps, N, threadIdx.x, scratch);
}

// ---------------------------------------------------------------- raw-first (ILP)
// Rows rows per group of Tpr threads, x kept as raw 16-byte words (4 registers a chunk
// for every element type) and converted in each of the three passes: the conversions
// are cheap, the registers are what limits rows in flight. gamma and beta are loaded
// with x, before the reductions, so their latency hides behind the row's own loads
// instead of following the reductions. Same numerics as layernorm_row_in_registers.
template <int Cols, int Tpr, int Rows, bool Stream>
__device__ __forceinline__ void layernorm_rows_raw_first(
    const kpg_t* x, const kpg_t* gamma, const kpg_t* beta, kpg_t* y, float* mean_out,
    float* rstd_out, long long row0, int rows_valid, float eps, int n, int t, float* scratch) {
  RowWindow w[Rows];
  uint4 xr[Rows][Cols], gr[Rows][Cols], br[Rows][Cols];
  float shift[Rows];
#pragma unroll
  for (int r = 0; r < Rows; ++r) {
    const kpg_t* xrow = x + (row0 + r) * n;
    const bool valid = r < rows_valid;  // rows past M load nothing and store nothing
    w[r] = row_window(valid ? xrow : x, valid ? n : 0);
    shift[r] = valid ? to_float(xrow[0]) : 0.0f;
    load_fragment_raw<Cols, Tpr, Stream>(xrow, w[r], 0, w[r].chunks, t, xr[r]);
  }
#pragma unroll
  for (int r = 0; r < Rows; ++r)
#pragma unroll
    for (int i = 0; i < Cols; ++i) {
      const int k0 = frag_k0(w[r], 0, t, i, Tpr);
      gr[r][i] = load_chunk_raw<false>(gamma, k0, w[r].n);
      br[r][i] = load_chunk_raw<false>(beta, k0, w[r].n);
    }

  float mean_shifted[Rows], rstd[Rows];
#pragma unroll
  for (int r = 0; r < Rows; ++r) {
    float sum = 0.0f;
#pragma unroll
    for (int i = 0; i < Cols; ++i) {
      const int k0 = frag_k0(w[r], 0, t, i, Tpr);
      const bool full = chunk_in_row(k0, w[r].n);
#pragma unroll
      for (int j = 0; j < kVec; ++j)
        sum += (full || in_row(k0, j, w[r].n)) ? raw_element(xr[r][i], j) - shift[r] : 0.0f;
    }
    mean_shifted[r] = sum;
  }
#pragma unroll
  for (int r = 0; r < Rows; ++r) mean_shifted[r] = group_sum<Tpr>(mean_shifted[r], scratch) / n;
#pragma unroll
  for (int r = 0; r < Rows; ++r) {
    float squares = 0.0f;
#pragma unroll
    for (int i = 0; i < Cols; ++i) {
      const int k0 = frag_k0(w[r], 0, t, i, Tpr);
      const bool full = chunk_in_row(k0, w[r].n);
#pragma unroll
      for (int j = 0; j < kVec; ++j) {
        const float d = (full || in_row(k0, j, w[r].n))
                            ? raw_element(xr[r][i], j) - shift[r] - mean_shifted[r]
                            : 0.0f;
        squares += d * d;
      }
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
    if (t == 0) {
      if (mean_out != nullptr) mean_out[row] = shift[r] + mean_shifted[r];
      if (rstd_out != nullptr) rstd_out[row] = rstd[r];
    }
    kpg_t* yrow = y + row * n;
#pragma unroll
    for (int i = 0; i < Cols; ++i) {
      const int k0 = frag_k0(w[r], 0, t, i, Tpr);
      if (k0 >= n) break;  // later chunks lie further right
      float v[kVec];
#pragma unroll
      for (int j = 0; j < kVec; ++j)
        v[j] = (raw_element(xr[r][i], j) - shift[r] - mean_shifted[r]) * rstd[r] *
                   raw_element(gr[r][i], j) +
               raw_element(br[r][i], j);
      store_chunk_hinted<Stream>(yrow, k0, n, v);
    }
  }
}

namespace layernorm_ilp_cfg {
constexpr int kWarps = KPG_DEFAULT(WARPS, 4);
constexpr int kRows = KPG_DEFAULT(ROWS, 1);       // rows per warp (warp kernel)
constexpr int kThreads = KPG_DEFAULT(THREADS, 256);
constexpr int kCols = KPG_DEFAULT(COLS, 4);
constexpr bool kStream = KPG_DEFAULT(STREAM, 0) != 0;
}  // namespace layernorm_ilp_cfg

extern "C" __global__ void __launch_bounds__(layernorm_ilp_cfg::kWarps * 32, 1)
    layernorm_warp_ilp(const kpg_t* __restrict__ x, const kpg_t* __restrict__ gamma,
                       const kpg_t* __restrict__ beta, kpg_t* __restrict__ y,
                       float* __restrict__ mean, float* __restrict__ rstd, float eps, int M,
                       int N) {
  using namespace layernorm_ilp_cfg;
  const long long row0 =
      (static_cast<long long>(blockIdx.x) * kWarps + (threadIdx.x >> 5)) * kRows;
  if (row0 >= M) return;  // whole warps leave together: warp shuffles stay full
  const int rows_valid = static_cast<int>(min(static_cast<long long>(kRows), M - row0));
  layernorm_rows_raw_first<kCols, 32, kRows, kStream>(x, gamma, beta, y, mean, rstd, row0,
                                                      rows_valid, eps, N, threadIdx.x & 31,
                                                      nullptr);
}

extern "C" __global__ void __launch_bounds__(layernorm_ilp_cfg::kThreads, 1)
    layernorm_block_ilp(const kpg_t* __restrict__ x, const kpg_t* __restrict__ gamma,
                        const kpg_t* __restrict__ beta, kpg_t* __restrict__ y,
                        float* __restrict__ mean, float* __restrict__ rstd, float eps, int M,
                        int N) {
  using namespace layernorm_ilp_cfg;
  __shared__ float scratch[32];
  layernorm_rows_raw_first<kCols, kThreads, 1, kStream>(x, gamma, beta, y, mean, rstd,
                                                        blockIdx.x, 1, eps, N, threadIdx.x,
                                                        scratch);
}

// ---------------------------------------------------------------- unfused (eager)
// Reductions: one block of RTHREADS per row. Elementwise: grid (M, chunk blocks), one
// 16-byte chunk per thread.
namespace layernorm_unfused_cfg {
constexpr int kReduceThreads = KPG_DEFAULT(RTHREADS, 512);
constexpr int kElementThreads = KPG_DEFAULT(ETHREADS, 256);
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
