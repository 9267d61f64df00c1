// layernorm/warp_lean.cu, space warp_lean of configs/layernorm.yaml:
//   layernorm_warp_lean   one warp per row, WARPS rows per block, COLS chunks per lane
#include "layernorm/lean.cuh"

namespace layernorm_lean_cfg {
KPG_PARAM(kWarps, WARPS);  // beside kCols, kKeepV, min_blocks (layernorm/lean.cuh)
}  // namespace layernorm_lean_cfg

extern "C" __global__ void __launch_bounds__(layernorm_lean_cfg::kWarps * 32,
                                             layernorm_lean_cfg::min_blocks(
                                                 layernorm_lean_cfg::kWarps * 32))
    layernorm_warp_lean(const kpg_t* __restrict__ x, const kpg_t* __restrict__ gamma,
                        const kpg_t* __restrict__ beta, kpg_t* __restrict__ y,
                        float* __restrict__ mean, float* __restrict__ rstd, float eps, int M,
                        int N) {
  using namespace layernorm_lean_cfg;
  const long long row = warp_first_row<kWarps>();
  if (row >= M) return;  // whole warps leave together: warp shuffles stay full
  layernorm_row_lean<kCols, 32, kKeepV>(x, gamma, beta, y, mean, rstd, row, eps, N,
                                        threadIdx.x & 31);
}
