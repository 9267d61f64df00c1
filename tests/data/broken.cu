// Reliability test op: a copy whose BREAK parameter breaks some candidates the ways
// kernels in a playground break. 0: correct. 1: writes out of bounds (illegal address).
// 2: never ends. 3: misaligned store. 4: __trap(). Tuning must survive every one of
// them, record why, and choose a BREAK=0 candidate.

#ifndef BREAK
#define BREAK 0
#endif

#include "test_op_common.cuh"  // copy_plain, global_ns()

extern "C" __global__ void copy_broken(const float* x, float* y, int n) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  y[i] = x[i];
  if (i != n - 1) return;
  if (BREAK == 1) y[i + (1ll << 34)] = 1.0f;  // 64 GiB past the buffer: unmapped
  if (BREAK == 2)
    while (global_ns() != 0) {  // the timer never reads 0: an endless loop the compiler keeps
    }
  if (BREAK == 3) *reinterpret_cast<float*>(reinterpret_cast<char*>(y) + 2) = 1.0f;
  if (BREAK == 4) __trap();
}
