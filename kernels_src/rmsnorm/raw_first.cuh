// rmsnorm/raw_first.cuh: RMSNorm of ROWS rows per group of threads with raw-first loads
// (every load of x and gamma issues before any is used, see kpg_rows.cuh "raw-first row
// loads"; Stream adds read-once/write-once cache hints): the body of the warp_ilp and
// block_ilp spaces. Math and outputs as rmsnorm/row_in_registers.cuh.
#pragma once
#include "layernorm/raw_first.cuh"

// LayerNorm's raw-first body without centring: gamma's loads issue with x's, before the
// reduction, so their latency hides behind x's.
template <int Cols, int Tpr, int Rows, bool Stream>
__device__ __forceinline__ void rmsnorm_rows_raw_first(const kpg_t* x, const kpg_t* gamma,
                                                       kpg_t* y, float* rstd_out, long long row0,
                                                       int rows_valid, float eps, int n, int t) {
  layernorm_rows_raw_first<Cols, Tpr, Rows, Stream, false>(x, gamma, nullptr, y, nullptr, rstd_out,
                                                           row0, rows_valid, eps, n, t);
}
