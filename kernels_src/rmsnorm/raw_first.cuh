// rmsnorm/raw_first.cuh: RMSNorm of ROWS rows per group of threads with raw-first loads
// (every load of x and gamma issues before any is used, see kpg_rows.cuh "raw-first row
// loads"; Stream adds read-once/write-once cache hints): the body of the warp_ilp and
// block_ilp spaces. Math and outputs as rmsnorm/row_in_registers.cuh.
#pragma once
#include "kpg_rows.cuh"

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

// The values both raw-first spaces give (warp_ilp.cu and block_ilp.cu add their block shape).
namespace rmsnorm_ilp_cfg {
KPG_PARAM(kCols, COLS);
KPG_PARAM(kStreamParam, STREAM);
constexpr bool kStream = kStreamParam != 0;
}  // namespace rmsnorm_ilp_cfg
