// layernorm/row_in_registers.cuh: LayerNorm y[r, :] = (x[r, :] - mean_r) * rstd_r * gamma
// + beta of one row held in registers (x read once, y written once, gamma/beta per row
// from L1/L2): the body of the warp_per_row and block_per_row spaces, and with
// Centre = false of RMSNorm's (rmsnorm/row_in_registers.cuh).
// Statistics in float32 for every element type; mean[r] and rstd[r] (float32, [M]) are
// written when the pointers are not null (what a backward pass needs). Numerics: sums run
// over x - x[r, 0] (exact for values within a factor of two of each other), so a row with
// mean 1e4 and unit variance keeps its small spread; the variance is the two-pass sum of
// squared deviations from the mean, never E[x^2] - E[x]^2.
#pragma once
#include "kpg_rows.cuh"

// Centre = false is RMSNorm: no shift and no mean, rstd from the sum of x^2, y = x * rstd *
// gamma (beta and mean_out are not used).
template <int Cols, int Tpr, bool Centre = true>
__device__ __forceinline__ void layernorm_row_in_registers(
    const kpg_t* x, const kpg_t* gamma, const kpg_t* beta, kpg_t* y, float* mean_out,
    float* rstd_out, long long row, float eps, int n, int t) {
  __shared__ float scratch[32];  // block reductions only (a warp, Tpr = 32, just shuffles)
  const RowWindow w = row_window(x, n);
  const float shift = Centre ? to_float(x[0]) : 0.0f;  // one broadcast load per thread

  float v[Cols][kVec];
  load_fragment<Cols, Tpr>(x, w, 0, w.chunks, t, v, shift);  // padding: deviation 0
  float mean_shifted = 0.0f;
  if constexpr (Centre) {
    float sum = 0.0f;
#pragma unroll
    for (int i = 0; i < Cols; ++i)
#pragma unroll
      for (int j = 0; j < kVec; ++j) {
        v[i][j] -= shift;
        sum += v[i][j];
      }
    mean_shifted = group_sum<Tpr>(sum, scratch) / n;
  }

  float squares = 0.0f;
#pragma unroll
  for (int i = 0; i < Cols; ++i) {
    const int k0 = frag_k0(w, 0, t, i, Tpr);
#pragma unroll
    for (int j = 0; j < kVec; ++j) {
      // LayerNorm masks the padding (-mean_shifted there); RMSNorm's padding is 0.
      const float d = !Centre ? v[i][j] : in_row(k0, j, n) ? v[i][j] - mean_shifted : 0.0f;
      squares += d * d;
    }
  }
  float rstd = rsqrtf(group_sum<Tpr>(squares, scratch) / n + eps);
  // Cols comes from a formula that assumes a 16-byte aligned buffer: should a row ever
  // need more chunks than the registers hold, the output is NaN, never silently wrong.
  if (w.chunks > Cols * Tpr) rstd = kpg_nan();
  if (t == 0) {
    if (Centre && mean_out != nullptr) mean_out[row] = shift + mean_shifted;
    if (rstd_out != nullptr) rstd_out[row] = rstd;
  }

#pragma unroll
  for (int i = 0; i < Cols; ++i) {
    const int k0 = frag_k0(w, 0, t, i, Tpr);
    if (k0 >= n) break;  // later chunks lie further right
    float g[kVec];
    load_chunk(gamma, k0, n, g, 0.0f);  // 16-byte loads when the row is aligned
    if constexpr (Centre) {
      float b[kVec];
      load_chunk(beta, k0, n, b, 0.0f);
#pragma unroll
      for (int j = 0; j < kVec; ++j) v[i][j] = (v[i][j] - mean_shifted) * rstd * g[j] + b[j];
    } else {
#pragma unroll
      for (int j = 0; j < kVec; ++j) v[i][j] = v[i][j] * rstd * g[j];
    }
    store_chunk(y, k0, n, v[i]);
  }
}

// The value the row-in-registers spaces of both norms give (their .cu files add the block
// shape).
namespace norm_rows_cfg {
KPG_PARAM(kCols, COLS);  // chunks per thread: ceil_div(max chunks, threads a row)
}  // namespace norm_rows_cfg
