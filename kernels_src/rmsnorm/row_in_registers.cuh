// rmsnorm/row_in_registers.cuh: RMSNorm y[r, :] = x[r, :] * rstd_r * gamma,
// rstd_r = 1 / sqrt(mean(x[r, :]^2) + eps) (LLaMA style, no bias, no centring), of one row
// held in registers (x read once, y written once): the body of the warp_per_row and
// block_per_row spaces, LayerNorm's row body without centring. float32 statistics for
// every element type; rstd[r] (float32, [M]) is written when the pointer is not null.
#pragma once
#include "layernorm/row_in_registers.cuh"

template <int Cols, int Tpr>
__device__ __forceinline__ void rmsnorm_row_in_registers(const kpg_t* x, const kpg_t* gamma,
                                                         kpg_t* y, float* rstd_out,
                                                         long long row, float eps, int n, int t) {
  layernorm_row_in_registers<Cols, Tpr, false>(x, gamma, nullptr, y, nullptr, rstd_out, row, eps,
                                               n, t);
}
