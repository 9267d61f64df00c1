#pragma once
// What the test ops (broken.cu, slowed.cu) share: their reference kernel and a read of
// the GPU's global nanosecond timer (%globaltimer) to spin on. NVRTC finds this header in
// the including source's folder.

__device__ __forceinline__ unsigned long long global_ns() {
  unsigned long long t;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
  return t;
}

// y = x: the reference variant of both ops.
extern "C" __global__ void copy_plain(const float* x, float* y, int n) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = x[i];
}
