// rmsnorm/warp_per_row.cu, space warp_per_row of configs/rmsnorm.yaml:
//   rmsnorm_warp   one warp per row, WARPS rows per block, COLS chunks per lane
#include "rmsnorm/row_in_registers.cuh"

namespace rmsnorm_warp_cfg {
KPG_PARAM(kWarps, WARPS);
KPG_PARAM(kCols, COLS);  // chunks per lane: ceil_div(max chunks, 32)
}  // namespace rmsnorm_warp_cfg

extern "C" __global__ void __launch_bounds__(rmsnorm_warp_cfg::kWarps * 32, 1)
    rmsnorm_warp(const kpg_t* __restrict__ x, const kpg_t* __restrict__ gamma,
                 kpg_t* __restrict__ y, float* __restrict__ rstd, float eps, int M, int N) {
  using namespace rmsnorm_warp_cfg;
  const long long row = static_cast<long long>(blockIdx.x) * kWarps + (threadIdx.x >> 5);
  if (row >= M) return;  // whole warps leave together: warp shuffles stay full
  const long long offset = row * N;
  rmsnorm_row_in_registers<kCols, 32>(x + offset, gamma, y + offset, rstd, row, eps, N,
                                      threadIdx.x & 31, nullptr);
}
