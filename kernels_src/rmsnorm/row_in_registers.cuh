// rmsnorm/row_in_registers.cuh: RMSNorm y[r, :] = x[r, :] * rstd_r * gamma,
// rstd_r = 1 / sqrt(mean(x[r, :]^2) + eps) (LLaMA style, no bias, no centring), of one row
// held in registers (x read once, y written once): the body of the warp_per_row and
// block_per_row spaces. float32 statistics for every element type; rstd[r] (float32, [M])
// is written when the pointer is not null.
#pragma once
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
