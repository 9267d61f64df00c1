// layernorm/warp_ilp.cu, space warp_ilp of configs/layernorm.yaml:
//   layernorm_warp_ilp   one warp per ROWS rows, WARPS warps per block, COLS chunks per lane
#include "layernorm/raw_first.cuh"

namespace norm_ilp_cfg {
KPG_PARAM(kWarps, WARPS);  // beside kCols, kStream (layernorm/raw_first.cuh)
KPG_PARAM(kRows, ROWS);    // rows per warp
}  // namespace norm_ilp_cfg

extern "C" __global__ void __launch_bounds__(norm_ilp_cfg::kWarps * 32, 1)
    layernorm_warp_ilp(const kpg_t* __restrict__ x, const kpg_t* __restrict__ gamma,
                       const kpg_t* __restrict__ beta, kpg_t* __restrict__ y,
                       float* __restrict__ mean, float* __restrict__ rstd, float eps, int M,
                       int N) {
  using namespace norm_ilp_cfg;
  const long long row0 = warp_first_row<kWarps, kRows>();
  if (row0 >= M) return;  // whole warps leave together: warp shuffles stay full
  const int rows_valid = static_cast<int>(min(static_cast<long long>(kRows), M - row0));
  layernorm_rows_raw_first<kCols, 32, kRows, kStream>(x, gamma, beta, y, mean, rstd, row0,
                                                      rows_valid, eps, N, threadIdx.x & 31);
}
