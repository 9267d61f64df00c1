// softmax/unfused.cu, variant unfused of configs/softmax.yaml: what eager PyTorch launches
// (4 kernels, intermediates in device memory).
//
//   softmax_row_max   rowmax[r] = max x[r, :]                     (float32, [M])
//   softmax_sub_exp   e[r, :] = exp(x[r, :] - rowmax[r])          (T, [M, N])
//   softmax_row_sum   rowsum[r] = sum e[r, :]                     (float32, [M])
//   softmax_div       y[r, :] = e[r, :] / rowsum[r]
#include "kpg_eager.cuh"

// Reductions: one block of RTHREADS per row; elementwise steps: grid (M, chunk blocks) of
// ETHREADS, one 16-byte chunk per thread, as an eager framework's vectorised elementwise
// kernel (kpg_eager.cuh).
namespace softmax_unfused_cfg {
KPG_PARAM(kReduceThreads, RTHREADS);   // row_max, row_sum
KPG_PARAM(kElementThreads, ETHREADS);  // sub_exp, div
}  // namespace softmax_unfused_cfg

extern "C" __global__ void __launch_bounds__(softmax_unfused_cfg::kReduceThreads, 1)
    softmax_row_max(const kpg_t* __restrict__ x, float* __restrict__ rowmax, int M, int N) {
  reduce_row<softmax_unfused_cfg::kReduceThreads, MaxOp>(block_row(x, N), rowmax, N,
                                                         kpg_neg_inf());
}

extern "C" __global__ void __launch_bounds__(softmax_unfused_cfg::kElementThreads, 1)
    softmax_sub_exp(const kpg_t* __restrict__ x, const float* __restrict__ rowmax,
                    kpg_t* __restrict__ e, int M, int N) {
  rowwise_with_row_value<softmax_unfused_cfg::kElementThreads>(
      x, rowmax, e, N, [](float v, float m) { return kpg_exp(v - m); });
}

extern "C" __global__ void __launch_bounds__(softmax_unfused_cfg::kReduceThreads, 1)
    softmax_row_sum(const kpg_t* __restrict__ e, float* __restrict__ rowsum, int M, int N) {
  reduce_row<softmax_unfused_cfg::kReduceThreads, SumOp>(block_row(e, N), rowsum, N, 0.0f);
}

extern "C" __global__ void __launch_bounds__(softmax_unfused_cfg::kElementThreads, 1)
    softmax_div(const kpg_t* __restrict__ e, const float* __restrict__ rowsum,
                kpg_t* __restrict__ y, int M, int N) {
  rowwise_with_row_value<softmax_unfused_cfg::kElementThreads>(
      e, rowsum, y, N, [](float v, float s) { return v / s; });
}
