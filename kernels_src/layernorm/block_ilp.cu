// layernorm/block_ilp.cu, space block_ilp of configs/layernorm.yaml:
//   layernorm_block_ilp   one block of THREADS per row, COLS chunks per thread
#include "layernorm/raw_first.cuh"

namespace norm_ilp_cfg {
KPG_PARAM(kThreads, THREADS);  // beside kCols, kStream (layernorm/raw_first.cuh)
}  // namespace norm_ilp_cfg

extern "C" __global__ void __launch_bounds__(norm_ilp_cfg::kThreads, 1)
    layernorm_block_ilp(const kpg_t* __restrict__ x, const kpg_t* __restrict__ gamma,
                        const kpg_t* __restrict__ beta, kpg_t* __restrict__ y,
                        float* __restrict__ mean, float* __restrict__ rstd, float eps, int M,
                        int N) {
  using namespace norm_ilp_cfg;
  layernorm_rows_raw_first<kCols, kThreads, 1, kStream>(x, gamma, beta, y, mean, rstd, blockIdx.x,
                                                        1, eps, N, threadIdx.x);
}
