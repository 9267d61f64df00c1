// layernorm/warp_per_row.cu, space warp_per_row of configs/layernorm.yaml:
//   layernorm_warp   one warp per row, WARPS rows per block, COLS chunks per lane
#include "layernorm/row_in_registers.cuh"

namespace norm_rows_cfg {
KPG_PARAM(kWarps, WARPS);  // beside kCols (layernorm/row_in_registers.cuh)
}  // namespace norm_rows_cfg

extern "C" __global__ void __launch_bounds__(norm_rows_cfg::kWarps * 32, 1)
    layernorm_warp(const kpg_t* __restrict__ x, const kpg_t* __restrict__ gamma,
                   const kpg_t* __restrict__ beta, kpg_t* __restrict__ y,
                   float* __restrict__ mean, float* __restrict__ rstd, float eps, int M, int N) {
  using namespace norm_rows_cfg;
  const long long row = warp_first_row<kWarps>();
  if (row >= M) return;  // whole warps leave together: warp shuffles stay full
  const long long offset = row * N;
  layernorm_row_in_registers<kCols, 32>(x + offset, gamma, beta, y + offset, mean, rstd, row,
                                        eps, N, threadIdx.x & 31);
}
