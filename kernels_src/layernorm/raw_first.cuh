// layernorm/raw_first.cuh: LayerNorm of ROWS rows per group of threads with raw-first
// loads (every load of x, gamma and beta issues before any is used, see kpg_rows.cuh
// "raw-first row loads"; Stream adds read-once/write-once cache hints): the body of the
// warp_ilp and block_ilp spaces. Padding (window elements outside the row) loads as
// x[r, 0], so it adds exactly 0 to the shifted sum, and its share of the squares comes out
// once per thread instead of a mask per element.
// Numerics and outputs as layernorm/row_in_registers.cuh.
#pragma once
#include "kpg_rows.cuh"

// Rows rows per group of Tpr threads. Every load of x, gamma and beta issues before any is
// used (gamma and beta with x, so their latency hides behind the row's own loads instead
// of following the reductions); x is then converted once to v = x - shift in float.
// No mask per element: instruction count, not DRAM, limited the f16 rows. The masked
// form `(full || in_row(k0, j, n)) ? ... : 0` compiled to a branch region per element
// and pass (BSSY/BRA/BSYNC and two ISETPs around each convert-and-add), and an f16 chunk
// has twice the elements of an f32 one (in f16 block_ilp at 4 chunks, nearly a third of
// the SASS instructions). Instead, elements outside the row are loaded as the
// shift's bits, so v = 0 there and the sum needs no mask; in the squares they add m^2
// each, which each thread removes once (pads x m^2: at most Cols*kVec terms; m^2 <= the
// row's sum of squares, since x[0] is in the row, so the correction loses at most ~64
// ulp of it).
// Same numerics otherwise as layernorm_row_in_registers.
// Centre = false is RMSNorm (rmsnorm/raw_first.cuh): no shift, no mean and no beta; the
// padding loads as zero bits, which add 0 to the squares, and x is converted from its raw
// chunks in each pass.
template <int Cols, int Tpr, int Rows, bool Stream, bool Centre = true>
__device__ __forceinline__ void layernorm_rows_raw_first(
    const kpg_t* x, const kpg_t* gamma, const kpg_t* beta, kpg_t* y, float* mean_out,
    float* rstd_out, long long row0, int rows_valid, float eps, int n, int t) {
  __shared__ float scratch[32];  // block reductions only (a warp, Tpr = 32, just shuffles)
  RowWindow w[Rows];
  uint4 xr[Rows][Cols], gr[Rows][Cols], br[Centre ? Rows : 1][Cols];
  float shift[Rows];
#pragma unroll
  for (int r = 0; r < Rows; ++r) {
    const kpg_t* xrow = x + (row0 + r) * n;
    const bool valid = r < rows_valid;  // rows past M load nothing and store nothing
    w[r] = row_window(valid ? xrow : x, valid ? n : 0);
    unsigned pad = 0u;
    if constexpr (Centre) {
      const kpg_t x0 = valid ? xrow[0] : from_float(0.0f);  // one broadcast load per thread
      shift[r] = to_float(x0);
      pad = kpg_bits(x0);
    }
    load_fragment_raw<Cols, Tpr, Stream>(xrow, w[r], 0, w[r].chunks, t, xr[r], pad);
  }
#pragma unroll
  for (int r = 0; r < Rows; ++r)
#pragma unroll
    for (int i = 0; i < Cols; ++i) {
      const int k0 = frag_k0(w[r], 0, t, i, Tpr);
      gr[r][i] = load_chunk_raw<false>(gamma, k0, w[r].n);
      if constexpr (Centre) br[r][i] = load_chunk_raw<false>(beta, k0, w[r].n);
    }

  float v[Centre ? Rows : 1][Cols][kVec];  // x - shift; exactly 0 outside the row
  float mean_shifted[Rows], rstd[Rows];
  if constexpr (Centre) {
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
    for (int r = 0; r < Rows; ++r)
      mean_shifted[r] = group_sum<Tpr>(mean_shifted[r], scratch) / n;
  }
  // What the squares and the output take: LayerNorm's v, RMSNorm's x from its raw chunk.
  auto value = [&](int r, int i, int j) {
    if constexpr (Centre) return v[r][i][j];
    else return raw_element(xr[r][i], j);
  };
#pragma unroll
  for (int r = 0; r < Rows; ++r) {
    float squares = 0.0f;
    int count = 0;  // this thread's row elements (Centre only)
#pragma unroll
    for (int i = 0; i < Cols; ++i) {
      if constexpr (Centre) count += chunk_count(frag_k0(w[r], 0, t, i, Tpr), w[r].n);
#pragma unroll
      for (int j = 0; j < kVec; ++j) {
        if constexpr (Centre) v[r][i][j] -= mean_shifted[r];  // now x - mean (-m outside the row)
        const float d = value(r, i, j);
        squares += d * d;
      }
    }
    if constexpr (Centre) {
      const float m = mean_shifted[r];
      squares -= static_cast<float>(Cols * kVec - count) * (m * m);
    }
    rstd[r] = squares;
  }
#pragma unroll
  for (int r = 0; r < Rows; ++r) {
    // The correction may leave a rounding error's worth below 0; NaN stays NaN.
    const float squares = group_sum<Tpr>(rstd[r], scratch);
    rstd[r] = rsqrtf(((Centre && squares < 0.0f) ? 0.0f : squares) / n + eps);
    if (w[r].chunks > Cols * Tpr) rstd[r] = kpg_nan();  // row does not fit: loud NaN
  }

#pragma unroll
  for (int r = 0; r < Rows; ++r) {
    if (r >= rows_valid) break;  // group-uniform
    const long long row = row0 + r;
    if (t == 0) {
      if (Centre && mean_out != nullptr) mean_out[row] = shift[r] + mean_shifted[r];
      if (rstd_out != nullptr) rstd_out[row] = rstd[r];
    }
    kpg_t* yrow = y + row * n;
#pragma unroll
    for (int i = 0; i < Cols; ++i) {
      const int k0 = frag_k0(w[r], 0, t, i, Tpr);
      if (k0 >= n) break;  // later chunks lie further right
      float out[kVec];
#pragma unroll
      for (int j = 0; j < kVec; ++j) {
        if constexpr (Centre)
          out[j] = v[r][i][j] * rstd[r] * raw_element(gr[r][i], j) + raw_element(br[r][i], j);
        else
          out[j] = value(r, i, j) * rstd[r] * raw_element(gr[r][i], j);
      }
      store_chunk_hinted<Stream>(yrow, k0, n, out);
    }
  }
}

// The values the raw-first spaces of both norms give (their warp_ilp.cu and block_ilp.cu
// add the block shape).
namespace norm_ilp_cfg {
KPG_PARAM(kCols, COLS);
KPG_PARAM(kStreamParam, STREAM);
constexpr bool kStream = kStreamParam != 0;
}  // namespace norm_ilp_cfg
