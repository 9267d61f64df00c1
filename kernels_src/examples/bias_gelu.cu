// Bring-your-own-kernel example (configs/examples/bias_gelu.yaml): y = gelu_tanh(x + bias)
// over x [M, N] and bias [N], the GELU site of a transformer MLP (PyTorch's
// gelu(x + b, approximate='tanh')).
//
//   bias_gelu_fused   reads x and bias, writes y: one pass over memory
//   bias_add          t = x + bias   (eager step 1: writes t in the element type)
//   gelu              y = gelu(t)    (eager step 2: reads t back)
//
// The eager pair moves x, t, t, y (4 M*N transfers) against x, y (2) for the fused kernel:
// the op is memory-bound, so the fused kernel should approach 2x.
//
// All three kernels walk the matrix as one flat array of 16-byte chunks (kVec elements);
// thread t of a block handles chunks base + t + i*THREADS, i < UNROLL (coalesced), and all
// UNROLL loads are issued before any is used. Tuning parameters: THREADS (block size) and
// UNROLL (16-byte chunks a thread), both given by the tuner as -D values.
#include "kpg_common.cuh"

KPG_PARAM(kThreads, THREADS);
KPG_PARAM(kUnroll, UNROLL);
static_assert(kThreads % 32 == 0 && kThreads <= 1024, "THREADS must be a multiple of 32, at most 1024");
static_assert(kUnroll >= 1 && kUnroll <= 16, "UNROLL must be 1..16");
// Kernels declare __launch_bounds__(kThreads, 1): with the block size alone, ptxas (CUDA
// 13.0, sm_90) capped the f16/bf16 fused kernel at 32 registers and spilled 20 bytes at
// UNROLL=1; with a minimum of one block it uses ~50 and spills nothing (checked by
// tests/tuner/bias_gelu_example_test.cpp).

// gelu_tanh(z) = 0.5 z (1 + tanh(sqrt(2/pi) (z + 0.044715 z^3))), in float. tanhf, not the
// tanh.approx instruction: its 2^-11 relative error would eat most of the f32 tolerance.
__device__ __forceinline__ float gelu_tanh(float z) {
  const float kSqrt2OverPi = 0.7978845608028654f;
  const float kCubic = 0.044715f;
  return 0.5f * z * (1.0f + tanhf(kSqrt2OverPi * (z + kCubic * z * z * z)));
}

// Elements [e0, e0 + kVec) of a flat array of `total` elements: one 16-byte access when the
// chunk is whole (the base is 16-byte aligned, checked by the caller), else element by
// element for the tail.
__device__ __forceinline__ void load_flat(const kpg_t* p, long long e0, long long total, bool aligned,
                                          float (&v)[kVec]) {
  if (aligned && e0 + kVec <= total) {
    load_vec(p + e0, v);
    return;
  }
#pragma unroll
  for (int j = 0; j < kVec; ++j) v[j] = e0 + j < total ? to_float(p[e0 + j]) : 0.0f;
}

__device__ __forceinline__ void store_flat(kpg_t* p, long long e0, long long total, bool aligned,
                                           const float (&v)[kVec]) {
  if (aligned && e0 + kVec <= total) {
    store_vec(p + e0, v);
    return;
  }
#pragma unroll
  for (int j = 0; j < kVec; ++j)
    if (e0 + j < total) p[e0 + j] = from_float(v[j]);
}

// bias[(e0 + j) % n] for the chunk's elements: one 16-byte load when the chunk lies within
// one row and its columns start 16-byte aligned (always, when n is a multiple of kVec).
__device__ __forceinline__ void load_bias(const kpg_t* bias, long long e0, int n, float (&b)[kVec]) {
  const int c0 = static_cast<int>(e0 % n);
  if (c0 + kVec <= n && is_vec_aligned(bias + c0)) {
    load_vec(bias + c0, b);
    return;
  }
#pragma unroll
  for (int j = 0; j < kVec; ++j) b[j] = to_float(bias[(e0 + j) % n]);
}

// The shared loop: load UNROLL chunks of `in`, apply f(v, e0) to each, store them to `out`.
// Grid-stride over tiles of THREADS * UNROLL chunks, so any grid covers the array.
template <class F>
__device__ __forceinline__ void flat_chunk_map(const kpg_t* in, kpg_t* out, long long total, F f) {
  const long long chunks = ceil_div(total, static_cast<long long>(kVec));
  const long long tile = static_cast<long long>(kThreads) * kUnroll;
  const bool aligned = is_vec_aligned(in) && is_vec_aligned(out);
  for (long long base = blockIdx.x * tile; base < chunks; base += static_cast<long long>(gridDim.x) * tile) {
    float v[kUnroll][kVec];
#pragma unroll
    for (int i = 0; i < kUnroll; ++i) {
      const long long c = base + threadIdx.x + static_cast<long long>(i) * kThreads;
      if (c < chunks) load_flat(in, c * kVec, total, aligned, v[i]);
    }
#pragma unroll
    for (int i = 0; i < kUnroll; ++i) {
      const long long c = base + threadIdx.x + static_cast<long long>(i) * kThreads;
      if (c >= chunks) break;  // later chunks lie further on
      f(v[i], c * kVec);
      store_flat(out, c * kVec, total, aligned, v[i]);
    }
  }
}

extern "C" __global__ void __launch_bounds__(kThreads, 1)
    bias_gelu_fused(const kpg_t* __restrict__ x, const kpg_t* __restrict__ bias, kpg_t* __restrict__ y, int M,
                    int N) {
  flat_chunk_map(x, y, static_cast<long long>(M) * N, [bias, N](float(&v)[kVec], long long e0) {
    float b[kVec];
    load_bias(bias, e0, N, b);
#pragma unroll
    for (int j = 0; j < kVec; ++j) v[j] = gelu_tanh(v[j] + b[j]);
  });
}

// Eager step 1: t = x + bias, rounded to the element type as a framework stores it.
extern "C" __global__ void __launch_bounds__(kThreads, 1)
    bias_add(const kpg_t* __restrict__ x, const kpg_t* __restrict__ bias, kpg_t* __restrict__ t, int M, int N) {
  flat_chunk_map(x, t, static_cast<long long>(M) * N, [bias, N](float(&v)[kVec], long long e0) {
    float b[kVec];
    load_bias(bias, e0, N, b);
#pragma unroll
    for (int j = 0; j < kVec; ++j) v[j] += b[j];
  });
}

// Eager step 2: y = gelu(t).
extern "C" __global__ void __launch_bounds__(kThreads, 1)
    gelu(const kpg_t* __restrict__ t, kpg_t* __restrict__ y, int M, int N) {
  flat_chunk_map(t, y, static_cast<long long>(M) * N, [](float(&v)[kVec], long long) {
#pragma unroll
    for (int j = 0; j < kVec; ++j) v[j] = gelu_tanh(v[j]);
  });
}
