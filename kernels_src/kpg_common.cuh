// kpg_common.cuh: what every kpg kernel shares. Compiled by NVRTC, so device code only:
// no host standard headers, only cuda_fp16.h / cuda_bf16.h from the toolkit.
//
//  * kpg_t, to_float, from_float: the element type picked by -DKPG_DTYPE_{F32,F16,BF16}
//    (float when none is given, so a file compiles on its own).
//  * KPG_PARAM(VAR, NAME): a tuning parameter from the YAML (kpg_params.cuh).
//  * kVec, load_vec, store_vec, pack_vec: one 16-byte access = 4 floats or 8 halves.
//  * warp_reduce / block_reduce over a combine op (SumOp, MaxOp: warp_sum, block_max, ...)
//    with shuffles; ceil_div.
//  * cluster_arrive, cluster_wait, load_cluster_float2: thread-block clusters (cluster.cuh).
#pragma once
#include "cluster.cuh"
#include "kpg_params.cuh"

#if defined(KPG_DTYPE_F32) + defined(KPG_DTYPE_F16) + defined(KPG_DTYPE_BF16) > 1
#error "define at most one of KPG_DTYPE_F32, KPG_DTYPE_F16, KPG_DTYPE_BF16"
#endif

// ---------------------------------------------------------------- element type
__device__ __forceinline__ float to_float(float v) { return v; }

#if defined(KPG_DTYPE_F16)
#include <cuda_fp16.h>
typedef __half kpg_t;
__device__ __forceinline__ float to_float(__half v) { return __half2float(v); }
__device__ __forceinline__ kpg_t from_float(float v) { return __float2half_rn(v); }
#elif defined(KPG_DTYPE_BF16)
#include <cuda_bf16.h>
typedef __nv_bfloat16 kpg_t;
__device__ __forceinline__ float to_float(__nv_bfloat16 v) { return __bfloat162float(v); }
__device__ __forceinline__ kpg_t from_float(float v) { return __float2bfloat16_rn(v); }
#else
typedef float kpg_t;
__device__ __forceinline__ kpg_t from_float(float v) { return v; }
#endif

// ---------------------------------------------------------------- small helpers
__host__ __device__ constexpr int ceil_div(int a, int b) { return (a + b - 1) / b; }
__host__ __device__ constexpr long long ceil_div(long long a, long long b) {
  return (a + b - 1) / b;
}

__device__ __forceinline__ float kpg_neg_inf() { return __int_as_float(0xff800000); }
__device__ __forceinline__ float kpg_pos_inf() { return __int_as_float(0x7f800000); }
__device__ __forceinline__ float kpg_nan() { return __int_as_float(0x7fffffff); }

// exp for softmax: arguments are <= 0 after subtracting the row max; __expf's error
// (a few ulp plus |x|·2^-24 relative) is far below every tolerance we use.
__device__ __forceinline__ float kpg_exp(float x) { return __expf(x); }

// ---------------------------------------------------------------- 16-byte vectors
constexpr int kVecBytes = 16;
constexpr int kVec = kVecBytes / static_cast<int>(sizeof(kpg_t));  // elements per access

__device__ __forceinline__ bool is_vec_aligned(const void* p) {
  return (reinterpret_cast<unsigned long long>(p) & (kVecBytes - 1)) == 0;
}

// p must be 16-byte aligned.
__device__ __forceinline__ void load_vec(const kpg_t* p, float (&out)[kVec]) {
  const uint4 raw = *reinterpret_cast<const uint4*>(p);
  const kpg_t* e = reinterpret_cast<const kpg_t*>(&raw);
#pragma unroll
  for (int j = 0; j < kVec; ++j) out[j] = to_float(e[j]);
}

// The bits of one element (16 or 32 of them), zero-extended.
__device__ __forceinline__ unsigned kpg_bits(kpg_t v) {
#if defined(KPG_DTYPE_F16)
  return __half_as_ushort(v);
#elif defined(KPG_DTYPE_BF16)
  return __bfloat16_as_ushort(v);
#else
  return __float_as_uint(v);
#endif
}

// One 16-byte chunk of elements, rounded from float, as four 32-bit words; 16-bit types
// round two elements per conversion (cvt.rn.f16x2.f32 / cvt.rn.bf16x2.f32, each element
// rounded as from_float does), element 2q in the low half of word q.
__device__ __forceinline__ uint4 pack_vec(const float (&in)[kVec]) {
  unsigned word[4];
#pragma unroll
  for (int q = 0; q < 4; ++q) {
#if defined(KPG_DTYPE_F16)
    const __half2 h = __floats2half2_rn(in[2 * q], in[2 * q + 1]);
    word[q] = *reinterpret_cast<const unsigned*>(&h);
#elif defined(KPG_DTYPE_BF16)
    const __nv_bfloat162 h = __floats2bfloat162_rn(in[2 * q], in[2 * q + 1]);
    word[q] = *reinterpret_cast<const unsigned*>(&h);
#else
    word[q] = __float_as_uint(in[q]);
#endif
  }
  return make_uint4(word[0], word[1], word[2], word[3]);
}

// One 16-byte store to a 16-byte aligned global address. Inline PTX because NVVM split
// `*(uint4*)p = v` of f16/bf16 chunks into four 4-byte stores (st.global.u32 / v2.u16,
// four STG.E) in most kernels, merging it with the element-wise stores of the edge branch
// beside it; __builtin_assume_aligned did not stop that, and __stwb (st.global.wb) keeps
// it whole but ptxas makes it a STRONG.SM store. No "memory" clobber: with one, the loads
// of the next chunk's gamma/beta could not be hoisted above this store (slower LayerNorm
// rows), and nothing in a kernel reads back what it stores.
__device__ __forceinline__ void store_raw_vec(void* p, const uint4& v) {
  asm volatile("st.global.v4.u32 [%0], {%1, %2, %3, %4};" ::"l"(p), "r"(v.x), "r"(v.y),
               "r"(v.z), "r"(v.w));
}

// p must be 16-byte aligned.
__device__ __forceinline__ void store_vec(kpg_t* p, const float (&in)[kVec]) {
  store_raw_vec(p, pack_vec(in));
}

// ---------------------------------------------------------------- reductions
// A combine op: op(a, b), and the identity that lanes and threads without a value hold.
struct SumOp {
  __device__ __forceinline__ float operator()(float a, float b) const { return a + b; }
  static __device__ __forceinline__ float identity() { return 0.0f; }
};

struct MaxOp {
  __device__ __forceinline__ float operator()(float a, float b) const { return fmaxf(a, b); }
  static __device__ __forceinline__ float identity() { return kpg_neg_inf(); }
};

// The value of lane (this lane ^ offset), for each type the reductions combine.
__device__ __forceinline__ float shfl_xor(float v, int offset) {
  return __shfl_xor_sync(0xffffffffu, v, offset);
}

__device__ __forceinline__ float2 shfl_xor(float2 v, int offset) {
  return make_float2(shfl_xor(v.x, offset), shfl_xor(v.y, offset));
}

// Warp reduction by xor shuffles, so every lane ends with the result. All 32 lanes must
// take part (callers give idle lanes op's identity). Lanes < 32 folds only the first Lanes
// lanes into lane 0, skipping the shuffles that would fetch from further lanes (lanes from
// Lanes up to the next power of two must still hold the identity).
template <int Lanes = 32, class T, class Op>
__device__ __forceinline__ T warp_reduce(T v, Op op) {
#pragma unroll
  for (int offset = 16; offset > 0; offset >>= 1) {
    if (offset >= Lanes) continue;
    v = op(v, shfl_xor(v, offset));
  }
  return v;
}

__device__ __forceinline__ float warp_sum(float v) { return warp_reduce(v, SumOp{}); }
__device__ __forceinline__ float warp_max(float v) { return warp_reduce(v, MaxOp{}); }

// Block reduction over Threads threads (a multiple of 32, all of them calling), result in
// every thread. `scratch` holds 32 values of shared memory; it may be reused by the next
// call at once: the leading barrier keeps a new write from overtaking old reads.
template <int Threads, class T, class Op>
__device__ __forceinline__ T block_reduce(T v, T* scratch, Op op) {
  static_assert(Threads % 32 == 0 && Threads <= 1024, "Threads must be a multiple of 32");
  v = warp_reduce(v, op);
  if (Threads == 32) return v;
  const int lane = threadIdx.x & 31;
  const int warp = threadIdx.x >> 5;
  __syncthreads();
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  // Every warp folds the per-warp partials itself: no third barrier to broadcast.
  return warp_reduce(lane < Threads / 32 ? scratch[lane] : Op::identity(), op);
}

template <int Threads>
__device__ __forceinline__ float block_sum(float v, float* scratch) {
  return block_reduce<Threads>(v, scratch, SumOp{});
}

template <int Threads>
__device__ __forceinline__ float block_max(float v, float* scratch) {
  return block_reduce<Threads>(v, scratch, MaxOp{});
}

// ---------------------------------------------------------------- blocks meeting in global memory
// A block publishes data, then adds to a counter with acquire-release semantics (its
// earlier writes become visible first, without a full fence; and when the old value shows
// it arrived last, its later reads see what the others published); a waiting block spins
// on the counter with acquire loads. Both at GPU scope.
__device__ __forceinline__ int atomic_add_acq_rel_gpu(int* p, int v) {
  int old;
  asm volatile("atom.acq_rel.gpu.global.add.s32 %0, [%1], %2;" : "=r"(old) : "l"(p), "r"(v) : "memory");
  return old;
}

__device__ __forceinline__ int load_acquire_gpu(const int* p) {
  int v;
  asm volatile("ld.acquire.gpu.global.b32 %0, [%1];" : "=r"(v) : "l"(p) : "memory");
  return v;
}
