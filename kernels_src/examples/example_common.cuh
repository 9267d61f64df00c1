#pragma once
// Shared by the example kernels: a global thread index that cannot overflow 32 bits.

__device__ __forceinline__ long long global_index() {
  return static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x;
}

#ifndef SCALE
#define SCALE 1.0f  // tests override it with -DSCALE=... to check that defines reach the kernel
#endif
