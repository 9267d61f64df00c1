// softmax/warp_per_row.cu, space warp_per_row of configs/softmax.yaml: row-wise softmax
// y[r, :] = exp(x[r, :] - max) / sum(exp(x[r, :] - max)) for short rows.
//
//   softmax_warp   one warp per row, WARPS rows per block, the row in registers (COLS
//                  chunks per lane): x read once, y written once
#include "softmax/common.cuh"

namespace softmax_warp_cfg {
KPG_PARAM(kWarps, WARPS);
KPG_PARAM(kCols, COLS);  // chunks per lane: ceil_div(max chunks, 32)
}  // namespace softmax_warp_cfg

extern "C" __global__ void __launch_bounds__(softmax_warp_cfg::kWarps * 32, 1)
    softmax_warp(const kpg_t* __restrict__ x, kpg_t* __restrict__ y, int M, int N) {
  using namespace softmax_warp_cfg;
  const long long row = warp_first_row<kWarps>();
  if (row >= M) return;  // whole warps leave together: warp shuffles stay full
  const long long offset = row * N;
  softmax_row_in_registers<kCols, 32, 1>(x + offset, y + offset, N, 0, threadIdx.x & 31,
                                         nullptr, NoExchange{});
}
