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
//  fused, persistent (fewest instructions an element: gamma/beta in registers for all the
//  block's rows, x through a cp.async ring of STAGES rows in shared memory, N at compile
//  time as ROW_N, N % VEC == 0 only):
//    layernorm_block_persist  min(M, SM_COUNT x BPS) blocks of THREADS, each walks rows
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
#include "cp_async.cuh"
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
// XF, STAGES), or when no COLS is given at all (`kpg compile layernorm.cu`: everything).
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

// ---------------------------------------------------------------- persistent (instructions)
// Why: ncu on block_lean (f16 4096 x 4096) showed it instruction-bound (issue slots 70 %
// busy, DRAM 48 %), not bandwidth-bound. Per row, every thread re-did work that does not
// depend on the row: row window and alignment, bounds checks per chunk, gamma/beta loads
// and their conversions, two full-precision divisions by N, and three barriers. Here:
//  * persistent blocks: grid = min(M, SM_COUNT x BPS), each block walks rows
//    blockIdx.x, + gridDim.x, ...; gamma and beta are loaded once per thread and kept in
//    registers as floats (no loads, no conversions per row);
//  * x arrives through a cp.async pipeline of STAGES row buffers in shared memory: the
//    rows STAGES-1 ahead are in flight while this one is reduced and written, without
//    registers to hold them, so few resident blocks still keep enough bytes in flight.
//    Each thread copies and reads back only its own chunks, so the buffers need no
//    barrier (cp.async.wait_group makes a thread's own copies visible to it);
//  * N is a compile-time constant (ROW_N, with N % VEC == 0: every row starts 16-byte
//    aligned and splits into whole chunks): 1/N is a constant, no row window, no bounds
//    check per chunk; only a thread's last chunk may lie past the row, when
//    N / VEC is not a multiple of THREADS, and it is masked once per chunk;
//  * one barrier per block reduction: the mean and the squares alternate two buffers of
//    partials (a buffer is next written only after the other reduction's barrier, which
//    every reader of it has passed), and each thread folds the per-warp partials itself.
// Numerics as layernorm_rows_raw_first: v = x - x[r, 0] (exact for values within a
// factor of two of x[r, 0]), two-pass variance over v - mean_shifted, float32 statistics;
// y = (v - m) * rstd * gamma + beta in every dtype (no 16-bit shortcut).
// Per element (f16): cvt, sub, add | sub, fma | mul, fma, half a pack: 7.5 instructions
// (block_lean: 12.5, plus its chunk checks and gamma/beta loads).
#if defined(STAGES) || !defined(COLS)
namespace layernorm_persist_cfg {
constexpr int kThreads = KPG_DEFAULT(THREADS, 256);
constexpr int kN = KPG_DEFAULT(ROW_N, 4096);           // the row length N, at compile time
constexpr int kStages = KPG_DEFAULT(STAGES, 2);        // row buffers in shared memory
constexpr int kBlocksPerSm = KPG_DEFAULT(BPS, 2);      // resident blocks the grid assumes
constexpr int kChunks = kN / kVec;                     // 16-byte chunks a row
constexpr int kCols = ceil_div(kChunks, kThreads);     // chunks a thread
constexpr bool kEven = kChunks % kThreads == 0;        // every thread's chunks all in the row
constexpr unsigned kStageBytes = static_cast<unsigned>(kChunks) * kVecBytes;
constexpr float kInvN = 1.0f / static_cast<float>(kN);
static_assert(kN % kVec == 0, "ROW_N must be a multiple of 16 / sizeof(element)");
static_assert(kThreads % 32 == 0 && kThreads <= 1024, "THREADS: a multiple of 32, at most 1024");
static_assert(kStages >= 2 && kStages <= 4, "STAGES: 2 to 4");
#if defined(COLS)
static_assert(COLS == kCols, "COLS must be ceil_div(ROW_N / VEC, THREADS)");
#endif
}  // namespace layernorm_persist_cfg

// Sum over a block of Threads threads (a multiple of 32), the same value in every thread,
// with at most one barrier. `partials` (Threads / 32 floats, shared) may be written again
// only after every thread has passed a later barrier.
template <int Threads>
__device__ __forceinline__ float persist_block_sum(float v, float* partials) {
  constexpr int kWarps = Threads / 32;
  static_assert(Threads % 32 == 0 && kWarps >= 1 && kWarps <= 32, "Threads: 32 to 1024");
  v = warp_sum(v);  // every lane of the warp holds the warp's sum
  if constexpr (kWarps == 1) {
    return v;
  } else {
    if ((threadIdx.x & 31) == 0) partials[threadIdx.x >> 5] = v;
    __syncthreads();
    if constexpr (kWarps <= 8) {
      // Every thread reads all partials (broadcast) and adds them in the same order.
      float s = partials[0];
#pragma unroll
      for (int w = 1; w < kWarps; ++w) s += partials[w];
      return s;
    } else if constexpr ((kWarps & (kWarps - 1)) == 0) {
      // Each group of kWarps lanes holds all partials; the butterfly leaves the same sum
      // in every lane (each step adds the same two values on either side).
      float s = partials[threadIdx.x & (kWarps - 1)];
#pragma unroll
      for (int offset = kWarps / 2; offset > 0; offset >>= 1)
        s += __shfl_xor_sync(0xffffffffu, s, offset);
      return s;
    } else {
      return warp_sum((threadIdx.x & 31) < kWarps ? partials[threadIdx.x & 31] : 0.0f);
    }
  }
}

extern "C" __global__ void __launch_bounds__(layernorm_persist_cfg::kThreads,
                                             layernorm_persist_cfg::kBlocksPerSm)
    layernorm_block_persist(const kpg_t* __restrict__ x, const kpg_t* __restrict__ gamma,
                            const kpg_t* __restrict__ beta, kpg_t* __restrict__ y,
                            float* __restrict__ mean, float* __restrict__ rstd, float eps,
                            int M, int N) {
  using namespace layernorm_persist_cfg;
  extern __shared__ uint4 stages[];  // kStages rows of kChunks chunks
  __shared__ __align__(16) float partials[2][32];
  // Compiled for another row length (a config passing a wrong ROW_N): loud NaN, never an
  // access out of bounds.
  if (N != kN) {
    const long long total = static_cast<long long>(M) * N;
    for (long long i = static_cast<long long>(blockIdx.x) * kThreads + threadIdx.x; i < total;
         i += static_cast<long long>(gridDim.x) * kThreads)
      y[i] = from_float(kpg_nan());
    return;
  }
  const int t = threadIdx.x;
  // Chunk i of this thread is chunk t + i * kThreads of the row; all but the last are
  // in the row by the choice of kCols.
  const bool last_in = kEven || t + (kCols - 1) * kThreads < kChunks;
  auto in_row = [&](int i) { return i < kCols - 1 || last_in; };

  // gamma and beta, once for every row this block handles.
  uint4 g_raw[kCols], b_raw[kCols];
#pragma unroll
  for (int i = 0; i < kCols; ++i) {
    const int k = (t + i * kThreads) * kVec;
    g_raw[i] = in_row(i) ? load_raw_vec<false>(gamma + k) : make_uint4(0u, 0u, 0u, 0u);
    b_raw[i] = in_row(i) ? load_raw_vec<false>(beta + k) : make_uint4(0u, 0u, 0u, 0u);
  }
  // As floats (loop-invariant: ptxas keeps them, or under a tight register cap
  // converts them again each row rather than spill; the tuner's BPS picks the cap).
  float g[kCols][kVec], b[kCols][kVec];
#pragma unroll
  for (int i = 0; i < kCols; ++i) {
    raw_to_float(g_raw[i], g[i]);
    raw_to_float(b_raw[i], b[i]);
  }

  // Row indices fit in int: M x N < 2^31 (kpg refuses larger buffers) and N >= kVec, so
  // M + kStages x gridDim.x stays far below 2^31. Addresses are formed in 64 bits.
  const int stride = gridDim.x;
  const unsigned my_smem =
      static_cast<unsigned>(__cvta_generic_to_shared(stages)) + static_cast<unsigned>(t) * kVecBytes;
  // Starts the copy of row r (when r < M) into buffer `stage`; one commit group per call,
  // empty or not, so that wait_group counts rows.
  auto issue = [&](int r, int stage) {
    if (r < M) {
      const kpg_t* src = x + (static_cast<long long>(r) * kN + t * kVec);
      const unsigned dst = my_smem + static_cast<unsigned>(stage) * kStageBytes;
#pragma unroll
      for (int i = 0; i < kCols; ++i)
        if (in_row(i)) cp_async_16(dst + i * kThreads * kVecBytes, src + i * kThreads * kVec);
    }
    cp_async_commit();
  };
  // x[r, 0] of the rows in flight, raw: converted only when its row comes up, so the
  // load's latency hides behind the rows before it.
  auto first = [&](int r) { return r < M ? x[static_cast<long long>(r) * kN] : from_float(0.0f); };
  kpg_t shift_q[kStages - 1];
  int row = blockIdx.x;
#pragma unroll
  for (int s = 0; s < kStages - 1; ++s) {
    issue(row + s * stride, s);
    shift_q[s] = first(row + s * stride);
  }

  int stage = 0;  // buffer of `row`
  for (; row < M; row += stride) {
    // The row kStages - 1 ahead goes into the buffer this thread read last iteration.
    const int ahead = row + (kStages - 1) * stride;
    issue(ahead, stage == 0 ? kStages - 1 : stage - 1);
    const float shift = to_float(shift_q[0]);
#pragma unroll
    for (int s = 0; s < kStages - 2; ++s) shift_q[s] = shift_q[s + 1];
    shift_q[kStages - 2] = first(ahead);
    cp_async_wait<kStages - 1>();  // this row's group has landed

    const uint4* buf = stages + stage * kChunks + t;
    float v[kCols][kVec];  // x - shift, then x - mean
    // Sums per chunk, so that a chunk past the row (only a thread's last one) is left
    // out with one select instead of a mask per element.
    auto accumulate = [&](float acc, float part, int i) {
      if (!in_row(i)) return acc;  // a chunk past the row: not read, zeros
      return i == 0 ? part : acc + part;
    };
    float sum = 0.0f;
#pragma unroll
    for (int i = 0; i < kCols; ++i) {
      // A chunk past the row lies past the last buffer's end too: never read it.
      const uint4 raw = in_row(i) ? buf[i * kThreads] : make_uint4(0u, 0u, 0u, 0u);
      float part = 0.0f;
#pragma unroll
      for (int j = 0; j < kVec; ++j) {
        v[i][j] = raw_element(raw, j) - shift;
        part = j == 0 ? v[i][j] : part + v[i][j];
      }
      sum = accumulate(sum, part, i);
    }
    const float m = persist_block_sum<kThreads>(sum, partials[0]) * kInvN;

    float squares = 0.0f;
#pragma unroll
    for (int i = 0; i < kCols; ++i) {
      float part = 0.0f;
#pragma unroll
      for (int j = 0; j < kVec; ++j) {
        v[i][j] -= m;
        part = j == 0 ? v[i][j] * v[i][j] : fmaf(v[i][j], v[i][j], part);
      }
      squares = accumulate(squares, part, i);
    }
    const float r = rsqrtf(persist_block_sum<kThreads>(squares, partials[1]) * kInvN + eps);
    if (t == 0) {
      if (mean != nullptr) mean[row] = shift + m;
      if (rstd != nullptr) rstd[row] = r;
    }

    kpg_t* yrow = y + (static_cast<long long>(row) * kN + t * kVec);
#pragma unroll
    for (int i = 0; i < kCols; ++i) {
      if (!in_row(i)) break;
      float out[kVec];
#pragma unroll
      for (int j = 0; j < kVec; ++j) out[j] = fmaf(v[i][j] * r, g[i][j], b[i][j]);
      store_raw_vec(yrow + i * kThreads * kVec, pack_vec(out));
    }
    stage = stage == kStages - 1 ? 0 : stage + 1;
  }
}

#endif  // persistent entry point

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
