// layernorm/block_per_row.cu, space block_per_row of configs/layernorm.yaml:
//   layernorm_block   one block of THREADS per row, COLS chunks per thread
#include "layernorm/row_in_registers.cuh"

namespace norm_rows_cfg {
KPG_PARAM(kThreads, THREADS);  // beside kCols (layernorm/row_in_registers.cuh)
}  // namespace norm_rows_cfg

extern "C" __global__ void __launch_bounds__(norm_rows_cfg::kThreads, 1)
    layernorm_block(const kpg_t* __restrict__ x, const kpg_t* __restrict__ gamma,
                    const kpg_t* __restrict__ beta, kpg_t* __restrict__ y,
                    float* __restrict__ mean, float* __restrict__ rstd, float eps, int M, int N) {
  using namespace norm_rows_cfg;
  const long long row = blockIdx.x;
  const long long offset = row * N;
  layernorm_row_in_registers<kCols, kThreads>(x + offset, gamma, beta, y + offset, mean, rstd,
                                              row, eps, N, threadIdx.x);
}
