// layernorm/block_lean.cu, space block_lean of configs/layernorm.yaml:
//   layernorm_block_lean   one block of THREADS per row, COLS chunks per thread
#include "layernorm/lean.cuh"

namespace layernorm_lean_cfg {
KPG_PARAM(kThreads, THREADS);  // beside kCols, kKeepV, min_blocks (layernorm/lean.cuh)
}  // namespace layernorm_lean_cfg

extern "C" __global__ void __launch_bounds__(layernorm_lean_cfg::kThreads,
                                             layernorm_lean_cfg::min_blocks(
                                                 layernorm_lean_cfg::kThreads))
    layernorm_block_lean(const kpg_t* __restrict__ x, const kpg_t* __restrict__ gamma,
                         const kpg_t* __restrict__ beta, kpg_t* __restrict__ y,
                         float* __restrict__ mean, float* __restrict__ rstd, float eps, int M,
                         int N) {
  using namespace layernorm_lean_cfg;
  layernorm_row_lean<kCols, kThreads, kKeepV>(x, gamma, beta, y, mean, rstd, blockIdx.x, eps,
                                              N, threadIdx.x);
}
