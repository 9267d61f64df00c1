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
//  fused, lean (fewest registers, most rows per SM: gamma/beta after the reductions, x raw
//  or as floats (XF), registers capped by REGS):
//    layernorm_warp_lean  one warp per row, WARPS rows per block, COLS chunks per lane
//    layernorm_block_lean one block of THREADS per row, COLS chunks per thread
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
// The raw-first and lean kernels load padding (window elements outside the row) as
// x[r, 0], so it adds exactly 0 to the shifted sum, and take its share of the squares
// out once per thread instead of masking every element (see layernorm_rows_raw_first).
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
// Rows rows per group of Tpr threads. Every load of x, gamma and beta issues before any is
// used (gamma and beta with x, so their latency hides behind the row's own loads instead
// of following the reductions); x is then converted once to v = x - shift in float.
// No mask per element: instruction count, not DRAM, limited the f16 rows. The masked
// form `(full || in_row(k0, j, n)) ? ... : 0` compiled to a branch region per element
// and pass (BSSY/BRA/BSYNC and two ISETPs around each convert-and-add), and an f16 chunk
// has twice the elements of an f32 one (f16 block_ilp at 4 chunks: 2184 SASS
// instructions before, 1552 now). Instead, elements outside the row are loaded as the
// shift's bits, so v = 0 there and the sum needs no mask; in the squares they add m^2
// each, which each thread removes once (pads x m^2: at most Cols*kVec terms; m^2 <= the
// row's sum of squares, since x[0] is in the row, so the correction loses at most ~64
// ulp of it).
// Same numerics otherwise as layernorm_row_in_registers.
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
    const kpg_t x0 = valid ? xrow[0] : from_float(0.0f);  // one broadcast load per thread
    shift[r] = to_float(x0);
    load_fragment_raw<Cols, Tpr, Stream>(xrow, w[r], 0, w[r].chunks, t, xr[r], kpg_bits(x0));
  }
#pragma unroll
  for (int r = 0; r < Rows; ++r)
#pragma unroll
    for (int i = 0; i < Cols; ++i) {
      const int k0 = frag_k0(w[r], 0, t, i, Tpr);
      gr[r][i] = load_chunk_raw<false>(gamma, k0, w[r].n);
      br[r][i] = load_chunk_raw<false>(beta, k0, w[r].n);
    }

  float v[Rows][Cols][kVec];  // x - shift; exactly 0 outside the row
  float mean_shifted[Rows], rstd[Rows];
#pragma unroll
  for (int r = 0; r < Rows; ++r) {
    float sum = 0.0f;
#pragma unroll
    for (int i = 0; i < Cols; ++i)
#pragma unroll
      for (int j = 0; j < kVec; ++j) {
        v[r][i][j] = raw_element(xr[r][i], j) - shift[r];
        sum += v[r][i][j];
      }
    mean_shifted[r] = sum;
  }
#pragma unroll
  for (int r = 0; r < Rows; ++r) mean_shifted[r] = group_sum<Tpr>(mean_shifted[r], scratch) / n;
#pragma unroll
  for (int r = 0; r < Rows; ++r) {
    const float m = mean_shifted[r];
    float squares = 0.0f;
    int count = 0;  // this thread's row elements
#pragma unroll
    for (int i = 0; i < Cols; ++i) {
      count += chunk_count(frag_k0(w[r], 0, t, i, Tpr), w[r].n);
#pragma unroll
      for (int j = 0; j < kVec; ++j) {
        v[r][i][j] -= m;  // now the deviation x - mean (-m outside the row)
        squares += v[r][i][j] * v[r][i][j];
      }
    }
    rstd[r] = squares - static_cast<float>(Cols * kVec - count) * (m * m);
  }
#pragma unroll
  for (int r = 0; r < Rows; ++r) {
    // The correction may leave a rounding error's worth below 0; NaN stays NaN.
    const float squares = group_sum<Tpr>(rstd[r], scratch);
    rstd[r] = rsqrtf((squares < 0.0f ? 0.0f : squares) / n + eps);
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
      float out[kVec];
#pragma unroll
      for (int j = 0; j < kVec; ++j)
        out[j] = v[r][i][j] * rstd[r] * raw_element(gr[r][i], j) + raw_element(br[r][i], j);
      store_chunk_hinted<Stream>(yrow, k0, n, out);
    }
  }
}

// ---------------------------------------------------------------- lean (occupancy)
// One row per group of Tpr threads, as few registers as the row allows so that more rows
// fit on an SM (bytes in flight; ncu at 4096 x 8192 f16: the ILP kernels' 96 registers
// allowed 2 blocks of 256 threads an SM, this one 4). gamma and beta are loaded chunk by
// chunk after the reductions (L1 hits: every row reads them), never held for the row.
// KeepV = false keeps x raw (4 registers a 16-byte chunk in every type, for f16 half of
// the float row) and converts it in each pass; KeepV = true converts once to
// v = x - shift in float (fewer instructions, 8 registers a chunk for f16). With at most
// 4 chunks a thread the configs cap registers at 64 (REGS, via __launch_bounds__), which
// both fit without spills: at least 32 warps an SM. Padding and its correction as in
// layernorm_rows_raw_first.
// For 16-bit inputs two passes take one instruction less an element, bounded by the
// input's own precision: the raw squares use x - c with c = shift + mean_shifted rounded
// (adds (c's rounding / sigma)^2 to the relative variance: at most 2^-10, for 65,536
// equal f16 values but one, an ulp off), and the output (x - shift) * rstd - m * rstd in one
// FMA (error ~2^-24 x |x - shift| / sigma). f32 keeps ((x - shift) - m) throughout, which
// stays exact for rows such as 1e4 + small spread.
template <int Cols, int Tpr, bool KeepV>
__device__ __forceinline__ void layernorm_row_lean(const kpg_t* x, const kpg_t* gamma,
                                                   const kpg_t* beta, kpg_t* y, float* mean_out,
                                                   float* rstd_out, long long row, float eps,
                                                   int n, int t, float* scratch) {
  constexpr bool kNarrow = sizeof(kpg_t) == 2;
  constexpr bool kRawC = kNarrow && !KeepV;  // squares as x - c from the raw chunks
  const kpg_t* xrow = x + row * n;
  const RowWindow w = row_window(xrow, n);
  const kpg_t x0 = xrow[0];
  const float shift = to_float(x0);
  uint4 xr[Cols];
  load_fragment_raw<Cols, Tpr, false>(xrow, w, 0, w.chunks, t, xr, kpg_bits(x0));

  float v[KeepV ? Cols : 1][kVec];  // x - shift (KeepV only)
  auto shifted = [&](int i, int j) {  // x - shift: exactly 0 in the padding
    if constexpr (KeepV) return v[i][j];
    else return raw_element(xr[i], j) - shift;
  };
  float sum = 0.0f;
#pragma unroll
  for (int i = 0; i < Cols; ++i)
#pragma unroll
    for (int j = 0; j < kVec; ++j) {
      const float s = raw_element(xr[i], j) - shift;
      if constexpr (KeepV) v[i][j] = s;
      sum += s;
    }
  const float m = group_sum<Tpr>(sum, scratch) / n;

  const float c = shift + m;  // kRawC only
  float squares = 0.0f;
  int count = 0;  // this thread's row elements
#pragma unroll
  for (int i = 0; i < Cols; ++i) {
    count += chunk_count(frag_k0(w, 0, t, i, Tpr), n);
#pragma unroll
    for (int j = 0; j < kVec; ++j) {
      const float d = kRawC ? raw_element(xr[i], j) - c : shifted(i, j) - m;
      squares += d * d;
    }
  }
  const float d_pad = kRawC ? shift - c : -m;  // what each padding element added
  squares -= static_cast<float>(Cols * kVec - count) * (d_pad * d_pad);
  squares = group_sum<Tpr>(squares, scratch);
  float rstd = rsqrtf((squares < 0.0f ? 0.0f : squares) / n + eps);  // NaN stays NaN
  if (w.chunks > Cols * Tpr) rstd = kpg_nan();  // row does not fit: loud NaN
  if (t == 0) {
    if (mean_out != nullptr) mean_out[row] = shift + m;
    if (rstd_out != nullptr) rstd_out[row] = rstd;
  }

  const float m_rstd = m * rstd;  // kNarrow only
  kpg_t* yrow = y + row * n;
#pragma unroll
  for (int i = 0; i < Cols; ++i) {
    const int k0 = frag_k0(w, 0, t, i, Tpr);
    if (k0 >= n) break;  // later chunks lie further right
    const uint4 g = load_chunk_raw<false>(gamma, k0, n);
    const uint4 b = load_chunk_raw<false>(beta, k0, n);
    float out[kVec];
#pragma unroll
    for (int j = 0; j < kVec; ++j) {
      const float xhat =
          kNarrow ? fmaf(shifted(i, j), rstd, -m_rstd) : (shifted(i, j) - m) * rstd;
      out[j] = xhat * raw_element(g, j) + raw_element(b, j);
    }
    store_chunk(yrow, k0, n, out);
    // Keep the next chunk's gamma/beta loads below this store: hoisting them all would
    // hold 8 more registers a chunk, which is what this kernel saves.
    asm volatile("" ::: "memory");
  }
}

// Every candidate compiles this whole file with its own COLS, and the ILP kernels hold
// 12 registers a chunk (x, gamma, beta raw): compiled at another space's COLS (up to 16)
// they spilled, in kernels that candidate never launches. So each family's entry points
// are compiled only for their own spaces (marked by a param only they have: STREAM,
// XF), or when no COLS is given at all (`kpg compile layernorm.cu`: everything).
#if defined(STREAM) || !defined(COLS)
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
  layernorm_rows_raw_first<kCols, 32, kRows, kStream>(
      x, gamma, beta, y, mean, rstd, row0, rows_valid, eps, N, threadIdx.x & 31, nullptr);
}

extern "C" __global__ void __launch_bounds__(layernorm_ilp_cfg::kThreads, 1)
    layernorm_block_ilp(const kpg_t* __restrict__ x, const kpg_t* __restrict__ gamma,
                        const kpg_t* __restrict__ beta, kpg_t* __restrict__ y,
                        float* __restrict__ mean, float* __restrict__ rstd, float eps, int M,
                        int N) {
  using namespace layernorm_ilp_cfg;
  __shared__ float scratch[32];
  layernorm_rows_raw_first<kCols, kThreads, 1, kStream>(
      x, gamma, beta, y, mean, rstd, blockIdx.x, 1, eps, N, threadIdx.x, scratch);
}

#endif  // ILP entry points

#if defined(XF) || !defined(COLS)
namespace layernorm_lean_cfg {
constexpr int kWarps = KPG_DEFAULT(WARPS, 4);
constexpr int kThreads = KPG_DEFAULT(THREADS, 256);
constexpr int kCols = KPG_DEFAULT(COLS, 4);
constexpr bool kKeepV = KPG_DEFAULT(XF, 0) != 0;  // x kept as float (see layernorm_row_lean)
// Register cap per thread (0: none), as __launch_bounds__' min blocks per SM, which each
// kernel derives from its own block size.
constexpr int kRegs = KPG_DEFAULT(REGS, 0);
__host__ __device__ constexpr int min_blocks(int threads) {
  return kRegs > 0 ? 65536 / (threads * kRegs) : 1;
}
}  // namespace layernorm_lean_cfg

extern "C" __global__ void __launch_bounds__(layernorm_lean_cfg::kWarps * 32,
                                             layernorm_lean_cfg::min_blocks(
                                                 layernorm_lean_cfg::kWarps * 32))
    layernorm_warp_lean(const kpg_t* __restrict__ x, const kpg_t* __restrict__ gamma,
                        const kpg_t* __restrict__ beta, kpg_t* __restrict__ y,
                        float* __restrict__ mean, float* __restrict__ rstd, float eps, int M,
                        int N) {
  using namespace layernorm_lean_cfg;
  const long long row = static_cast<long long>(blockIdx.x) * kWarps + (threadIdx.x >> 5);
  if (row >= M) return;  // whole warps leave together: warp shuffles stay full
  layernorm_row_lean<kCols, 32, kKeepV>(x, gamma, beta, y, mean, rstd, row, eps, N,
                                        threadIdx.x & 31, nullptr);
}

extern "C" __global__ void __launch_bounds__(layernorm_lean_cfg::kThreads,
                                             layernorm_lean_cfg::min_blocks(
                                                 layernorm_lean_cfg::kThreads))
    layernorm_block_lean(const kpg_t* __restrict__ x, const kpg_t* __restrict__ gamma,
                         const kpg_t* __restrict__ beta, kpg_t* __restrict__ y,
                         float* __restrict__ mean, float* __restrict__ rstd, float eps, int M,
                         int N) {
  using namespace layernorm_lean_cfg;
  __shared__ float scratch[32];
  layernorm_row_lean<kCols, kThreads, kKeepV>(x, gamma, beta, y, mean, rstd, blockIdx.x, eps,
                                              N, threadIdx.x, scratch);
}

#endif  // lean entry points

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
