// softmax/split.cu, space split of configs/softmax.yaml: long rows, each split over SPLIT
// ordinary blocks that hold a slice in registers (COLS chunks per thread) and exchange
// (max, sum) through global memory (GridExchange, softmax/common.cuh): no cluster, so
// every SM takes them.
#include "softmax/common.cuh"

namespace softmax_split_cfg {
KPG_PARAM(kThreads, THREADS);
KPG_PARAM(kCols, COLS);     // chunks per thread and slice
KPG_PARAM(kSplit, SPLIT);   // blocks per row (grid = M * SPLIT)
KPG_PARAM(kMinBlocks, MIN_BLOCKS);
static_assert(kSplit >= 2 && kSplit <= 32, "SPLIT must be 2..32 (one lane per slice in the fold)");
}  // namespace softmax_split_cfg

// count: int[M + 1] and pairs: float2[M * SPLIT], scratch (see GridExchange).
extern "C" __global__ void __launch_bounds__(softmax_split_cfg::kThreads, softmax_split_cfg::kMinBlocks)
    softmax_split(const kpg_t* __restrict__ x, kpg_t* __restrict__ y, int M, int N, int* count,
                  float2* pairs) {
  using namespace softmax_split_cfg;
  __shared__ float scratch[32];
  __shared__ float2 folded;
  __shared__ int ticket;
  if (threadIdx.x == 0) {
    ticket = atomicAdd(count + M, 1);
    // The last ticket: every other block has taken its own, so the counter can be reset.
    if (ticket == static_cast<int>(gridDim.x) - 1) atomicExch(count + M, 0);
  }
  __syncthreads();
  const long long row = ticket / kSplit;
  const int slice = ticket % kSplit;
  const long long offset = row * N;
  softmax_row_in_registers<kCols, kThreads, kSplit>(
      x + offset, y + offset, N, slice, threadIdx.x, scratch,
      GridExchange<kSplit>{count, pairs, &folded, row, slice});
}
