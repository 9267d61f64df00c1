// Does a thread-block cluster cost bandwidth by itself? Each block copies a 64 KB slice
// the way softmax's block_per_row holds a row slice: every load into registers, a cluster
// barrier, every store. The same 128 MB copy runs as clusters of 1..16 blocks with one or
// two blocks an SM, beside the clusters the device can hold at once
// (cudaOccupancyMaxActiveClusters): a cluster's blocks share one GPC, so GPCs whose SM count
// is no multiple of the cluster leave SMs idle.
// Build and run on the GPU machine: scripts/gpu_session.sh clusters.
#include <cooperative_groups.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdio>
#include <vector>

namespace cg = cooperative_groups;

constexpr int kThreads = 256;
constexpr int kCols = 16;  // float4 a thread: 64 KB a block
constexpr size_t kSlice = size_t{kThreads} * kCols;

#define CHECK(call)                                                               \
  do {                                                                            \
    cudaError_t e_ = (call);                                                      \
    if (e_ != cudaSuccess) {                                                      \
      std::fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, cudaGetErrorString(e_)); \
      return 1;                                                                   \
    }                                                                             \
  } while (0)

__global__ void __launch_bounds__(kThreads) slice_copy(const float4* x, float4* y) {
  const size_t base = blockIdx.x * kSlice + threadIdx.x;
  float4 v[kCols];
#pragma unroll
  for (int i = 0; i < kCols; ++i) v[i] = x[base + i * kThreads];
  cg::this_cluster().sync();  // a cluster of 1 is a block: the barrier stays, the cost is the same
#pragma unroll
  for (int i = 0; i < kCols; ++i) y[base + i * kThreads] = v[i];
}

// Empties L2 by reading a buffer of twice its size (no dirty lines left behind).
__global__ void read_all(const float4* p, size_t n, float* sink) {
  float s = 0;
  for (size_t i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += size_t{gridDim.x} * blockDim.x) s += p[i].x;
  if (s == 12345.0f) *sink = s;
}

int main() {
  cudaDeviceProp prop;
  CHECK(cudaGetDeviceProperties(&prop, 0));
  const size_t bytes = size_t{128} << 20;
  const int blocks = static_cast<int>(bytes / (kSlice * sizeof(float4)));
  const size_t flush_n = 2 * size_t(prop.l2CacheSize) / sizeof(float4);
  float4 *x, *y, *flush;
  float* sink;
  CHECK(cudaMalloc(&x, bytes));
  CHECK(cudaMalloc(&y, bytes));
  CHECK(cudaMalloc(&flush, flush_n * sizeof(float4)));
  CHECK(cudaMalloc(&sink, sizeof(float)));
  CHECK(cudaMemset(x, 0, bytes));
  CHECK(cudaMemset(flush, 0, flush_n * sizeof(float4)));
  CHECK(cudaFuncSetAttribute(slice_copy, cudaFuncAttributeNonPortableClusterSizeAllowed, 1));
  CHECK(cudaFuncSetAttribute(slice_copy, cudaFuncAttributeMaxDynamicSharedMemorySize, 200 << 10));
  cudaEvent_t start, stop;
  CHECK(cudaEventCreate(&start));
  CHECK(cudaEventCreate(&stop));

  std::printf("%s, %d SMs; %d blocks of 64 KB, 128 MB in + 128 MB out\n", prop.name,
              prop.multiProcessorCount, blocks);
  std::printf("| cluster | blocks an SM (cap) | clusters at once | blocks at once / slots | GB/s |\n|---|---|---|---|---|\n");
  for (int per_sm : {1, 2})
    for (int cluster : {1, 2, 4, 8, 16}) {
      cudaLaunchConfig_t config{};
      cudaLaunchAttribute attr{};
      attr.id = cudaLaunchAttributeClusterDimension;
      attr.val.clusterDim.x = cluster;
      attr.val.clusterDim.y = attr.val.clusterDim.z = 1;
      config.gridDim = dim3(blocks);
      config.blockDim = dim3(kThreads);
      // Shared memory (unused) caps the blocks an SM at per_sm.
      config.dynamicSmemBytes = per_sm == 1 ? (150 << 10) : (100 << 10);
      config.attrs = &attr;
      config.numAttrs = 1;
      int active = 0;
      CHECK(cudaOccupancyMaxActiveClusters(&active, slice_copy, &config));
      std::vector<float> ms;
      for (int rep = 0; rep < 25; ++rep) {
        read_all<<<prop.multiProcessorCount * 8, 256>>>(flush, flush_n, sink);
        CHECK(cudaEventRecord(start));
        CHECK(cudaLaunchKernelEx(&config, slice_copy, static_cast<const float4*>(x), y));
        CHECK(cudaEventRecord(stop));
        CHECK(cudaEventSynchronize(stop));
        float t = 0;
        CHECK(cudaEventElapsedTime(&t, start, stop));
        if (rep >= 5) ms.push_back(t);
      }
      std::sort(ms.begin(), ms.end());
      const double median = ms[ms.size() / 2];
      std::printf("| %d | %d | %d | %d / %d | %.0f |\n", cluster, per_sm, active, active * cluster,
                  per_sm * prop.multiProcessorCount, 2.0 * bytes / (median * 1e6));
    }
  return 0;
}
