// Bandwidth and throughput kernels (tutorial 4): each does as little as possible besides
// the one thing it measures. Results that would otherwise be unused are written only when
// an impossible value appears, so the compiler must keep the work but no bytes are added.

// Device-memory copy, 16 bytes per thread per step, grid-stride: reads n x 16 bytes and
// writes as many.
extern "C" __global__ void stream_copy(const float4* __restrict__ in, float4* __restrict__ out, long long n) {
  const long long stride = static_cast<long long>(gridDim.x) * blockDim.x;
  for (long long i = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    out[i] = in[i];
}

// Reads a buffer that fits in L2 `passes` times, skipping L1 (ld.global.cg): after the
// first pass every byte comes from L2. Bytes read: passes x n x 16.
extern "C" __global__ void stream_read_l2(const float4* in, long long n, int passes, float* sink) {
  const long long stride = static_cast<long long>(gridDim.x) * blockDim.x;
  float acc = 0.f;
  for (int p = 0; p < passes; ++p)
    for (long long i = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
      const float4 v = __ldcg(in + i);
      acc += v.x + v.y + v.z + v.w;
    }
  if (acc == -1.f) *sink = acc;
}

// Shared-memory reads: each thread reads 16 bytes per iteration from a 16 KB array, a warp
// 512 contiguous bytes (no bank conflict beyond the 4 wavefronts a 128-bit load needs).
// Bytes read: blocks x threads x iters x 16.
#define SHARED_VECS 1024
extern "C" __global__ void stream_shared(int iters, float* sink) {
  __shared__ float4 tile[SHARED_VECS];
  for (int j = threadIdx.x; j < SHARED_VECS; j += blockDim.x) tile[j] = make_float4(j, 1.f, 2.f, 3.f);
  __syncthreads();
  float acc = 0.f;
#pragma unroll 8
  for (int it = 0; it < iters; ++it) {
    const float4 v = tile[(threadIdx.x + it * 32) & (SHARED_VECS - 1)];
    acc += v.x + v.y + v.z + v.w;
  }
  if (acc == -1.f) *sink = acc;
}

// FP32 FMA throughput: 8 independent chains per thread hide the FMA latency.
// Flops: blocks x threads x iters x 8 x 2.
extern "C" __global__ void fma_throughput(int iters, float* sink) {
  float a[8];
#pragma unroll
  for (int j = 0; j < 8; ++j) a[j] = threadIdx.x * 1e-3f + j;
  const float b = 0.999f, c = 1e-3f;
  for (int it = 0; it < iters; ++it) {
#pragma unroll
    for (int j = 0; j < 8; ++j) a[j] = fmaf(a[j], b, c);
  }
  float sum = 0.f;
#pragma unroll
  for (int j = 0; j < 8; ++j) sum += a[j];
  if (sum == -1.f) *sink = sum;
}

// Does nothing: its launches measure what a launch costs.
extern "C" __global__ void empty_kernel() {}
