// Test op for the tuner: candidates slowed by known amounts, and some that are wrong.
// DELAY_US makes block 0 spin for that many microseconds; WRONG=1 skips the copy's
// last element of every 1000, which is fast and must never win.

#ifndef DELAY_US
#define DELAY_US 0
#endif
#ifndef WRONG
#define WRONG 0
#endif

#include "test_op_common.cuh"  // copy_plain, global_ns()

extern "C" __global__ void copy_slowed(const float* x, float* y, int n) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (DELAY_US > 0 && blockIdx.x == 0 && threadIdx.x == 0) {
    const unsigned long long until = global_ns() + DELAY_US * 1000ull;
    while (global_ns() < until) {
    }
  }
  if (i < n && !(WRONG && i % 1000 == 999)) y[i] = x[i];
}
