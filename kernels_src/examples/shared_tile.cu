// Reverses each block's slice through shared memory: exercises static and dynamic shared
// memory (above 48 KB when launched with a large block), barriers and the ptxas report.
#include "example_common.cuh"

extern "C" __global__ void reverse_static(const float* in, float* out, int n) {
  __shared__ float tile[256];
  const long long i = global_index();
  tile[threadIdx.x] = i < n ? in[i] : 0.0f;
  __syncthreads();
  const long long j = static_cast<long long>(blockIdx.x) * blockDim.x + (blockDim.x - 1 - threadIdx.x);
  if (j < n) out[j] = tile[threadIdx.x];
}

// Each thread copies `per_thread` floats through dynamic shared memory (sized at launch).
extern "C" __global__ void copy_dynamic(const float* in, float* out, int n, int per_thread) {
  extern __shared__ float buffer[];
  const long long base = static_cast<long long>(blockIdx.x) * blockDim.x * per_thread;
  for (int k = threadIdx.x; k < blockDim.x * per_thread; k += blockDim.x) {
    buffer[k] = base + k < n ? in[base + k] : 0.0f;
  }
  __syncthreads();
  for (int k = threadIdx.x; k < blockDim.x * per_thread; k += blockDim.x) {
    if (base + k < n) out[base + k] = buffer[k];
  }
}
