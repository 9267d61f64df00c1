// copy: y = x, through a header chain
#include "copy_common.cuh"

extern "C" __global__ void copy_plain(const float* x, float* y, int n) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = x[i];
}

extern "C" __global__ void copy_tuned(const float* x, float* y, int n) {
  const int i = element_index();
  if (i < n) y[i] = same(x[i]);
}
