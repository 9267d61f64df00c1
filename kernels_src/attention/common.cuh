// attention/common.cuh: the element type and the PTX wrappers the flash-attention kernels
// use (mma.sync m16n8k16, ldmatrix, ex2; cp.async from cp_async.cuh). Device code only
// (NVRTC); kept apart from kpg_common.cuh so the attention kernels depend on little else in
// the tree.
//
// attn_t is the element type picked by -DKPG_DTYPE_F16 / -DKPG_DTYPE_BF16 (f16 when
// neither is given, so the file compiles alone). float32 has no m16n8k16 tensor-core
// path, so -DKPG_DTYPE_F32 is a compile error.
#pragma once

#if defined(KPG_DTYPE_F32)
#error "flash attention supports f16 and bf16 only (tensor cores take 16-bit inputs)"
#endif

#if defined(KPG_DTYPE_BF16)
#include <cuda_bf16.h>
typedef __nv_bfloat16 attn_t;
#define ATTN_PTX_TYPE "bf16"
#else
#include <cuda_fp16.h>
typedef __half attn_t;
#define ATTN_PTX_TYPE "f16"
#endif

#include "cp_async.cuh"
#include "kpg_params.cuh"

static_assert(sizeof(attn_t) == 2, "attention kernels assume 16-bit elements");

// The parameters every flash-attention forward entry point starts with, in the order of its
// launch's `args` in configs/attention.yaml: Q, K, V, O [B, H, N, HEAD_DIM] 16-bit, LSE
// float32 [B, H, N], the sequence length and the softmax scale.
#define ATTN_FWD_PARAMS                                                                   \
  const attn_t* __restrict__ Q, const attn_t* __restrict__ K, const attn_t* __restrict__ V, \
      attn_t* __restrict__ O, float* __restrict__ LSE, int N, float softmax_scale

// Two floats rounded to attn_t, `lo` in the low 16 bits: the register layout of an mma
// fragment pair (element with the lower column index in the low half).
__device__ __forceinline__ unsigned attn_pack2(float lo, float hi) {
#if defined(KPG_DTYPE_BF16)
  __nv_bfloat162 v = __floats2bfloat162_rn(lo, hi);
#else
  __half2 v = __floats2half2_rn(lo, hi);
#endif
  return *reinterpret_cast<unsigned*>(&v);
}

__device__ __forceinline__ unsigned attn_smem_addr(const void* p) {
  return static_cast<unsigned>(__cvta_generic_to_shared(p));
}

// d += a * b on a 16x8x16 tile: a 16x16 row-major (4 regs), b 16x8 column-major (2 regs),
// d 16x8 float32 (4 regs). Fragment layouts: docs/design/flash_attention.md.
__device__ __forceinline__ void mma_16816(float (&d)[4], const unsigned (&a)[4], unsigned b0,
                                          unsigned b1) {
  asm("mma.sync.aligned.m16n8k16.row.col.f32." ATTN_PTX_TYPE "." ATTN_PTX_TYPE
      ".f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

// Four 8x8 b16 matrices; lanes 8i..8i+7 give the row addresses of matrix i, r[i] holds
// it (lane t: row t/4, columns 2(t%4), 2(t%4)+1; with .trans the transposed element).
// "memory" keeps them on the right side of barriers and of cp.async waits.
__device__ __forceinline__ void ldmatrix_x4(unsigned (&r)[4], unsigned addr) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(addr)
               : "memory");
}

__device__ __forceinline__ void ldmatrix_x4_trans(unsigned (&r)[4], unsigned addr) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(addr)
               : "memory");
}

// log2(e): exp(x) = 2^(x log2 e), so the softmax scale folds log2(e) in once.
constexpr float kLog2e = 1.4426950408889634f;

// 2^x with one MUFU op; ex2.approx(-inf) = +0, which the masking relies on.
__device__ __forceinline__ float attn_exp2(float x) {
  float y;
  asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x));
  return y;
}

__device__ __forceinline__ float attn_neg_inf() { return __int_as_float(0xff800000); }
