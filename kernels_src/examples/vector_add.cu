// c[i] = SCALE * (a[i] + b[i]): the smallest kernel that shows the whole runtime path
// (NVRTC compile, cubin cache, module load, typed launch). Used by tests and the README.
#include "example_common.cuh"

extern "C" __global__ void vector_add(const float* __restrict__ a, const float* __restrict__ b,
                                      float* __restrict__ c, int n) {
  const long long i = global_index();
  if (i < n) c[i] = SCALE * (a[i] + b[i]);
}
