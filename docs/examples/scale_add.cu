// Worked example of docs/LEARNING_GUIDE.md ("Write your own op"): y = alpha * a + b.
// `scale_add_plain` is the reference (one element a thread); `scale_add_items` is the
// tuned kernel (ITEMS elements a thread). THREADS and ITEMS arrive as -D defines from
// scale_add.yaml; kpg_common.cuh (kernels_src/, always on the include path) turns the
// dtype macro into `kpg_t` with to_float/from_float, so one source serves f32/f16/bf16.
#include "kpg_common.cuh"

extern "C" __global__ void scale_add_plain(const kpg_t* a, const kpg_t* b, kpg_t* y, float alpha, int n) {
  const long long i = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) y[i] = from_float(alpha * to_float(a[i]) + to_float(b[i]));
}

// The whole file is compiled for every candidate of every variant, and the `plain` variant
// defines no THREADS/ITEMS: without this guard its compile would fail.
#if defined(THREADS) && defined(ITEMS)
extern "C" __global__ void __launch_bounds__(THREADS) scale_add_items(const kpg_t* a, const kpg_t* b, kpg_t* y,
                                                                     float alpha, int n) {
  const long long base = static_cast<long long>(blockIdx.x) * THREADS * ITEMS + threadIdx.x;
#pragma unroll
  for (int k = 0; k < ITEMS; ++k) {
    // Step k of a warp touches 32 neighbouring elements: every access is coalesced.
    const long long i = base + static_cast<long long>(k) * THREADS;
    if (i < n) y[i] = from_float(alpha * to_float(a[i]) + to_float(b[i]));
  }
}
#endif
