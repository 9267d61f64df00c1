// attention/wgmma.cuh: Hopper (sm_90a) warpgroup MMA helpers for the flash-attention
// kernel of stage 2 (attention/flash_wgmma.cu): shared-memory matrix descriptors, the 128-byte
// swizzled tile layout they describe, wgmma.mma_async wrappers, fences and waits.
// Needs attention/common.cuh first (attn_t, ATTN_PTX_TYPE). Compile for sm_90a.
//
// Layout and descriptor derivations (PTX ISA, "Asynchronous warpgroup level matrix shared
// memory layout" and "Matrix descriptor"; the same conventions as CUTLASS's GmmaDescriptor):
//
// * Tile layout ("SW128"): a [R rows][D] 16-bit tile is stored as D/64 column blocks, each
//   [R][64] with 128-byte rows (block b at byte b*R*128); inside a block, the 16-byte chunk
//   c (elements 8c..8c+7) of row r sits at byte r*128 + ((c ^ (r % 8)) * 16). That is
//   exactly the 128B swizzle the hardware applies to addresses (bits [4,7) ^= bits [7,10)),
//   provided every block starts at a 1024-byte-aligned address (8 rows x 128 B = one swizzle
//   atom): the kernel rounds its shared base up to 1024 and keeps all block sizes multiples
//   of 1024.
// * Descriptor (64 bits): [0,14) start address >> 4; [16,30) leading-dimension byte
//   offset >> 4 (LBO); [32,46) stride-dimension byte offset >> 4 (SBO); [49,52) base
//   offset (0: atoms 1024-aligned); [62,64) swizzle mode, 1 = 128B (2 = 64B, 3 = 32B).
// * K-major operand (Q as A, K as B of S = Q K^T; rows = M or N, K = head dim contiguous):
//   one wgmma reads 16 K-elements = 32 bytes of each row, inside one 128-byte swizzle row,
//   so LBO is unused (1 by convention); SBO = 1024 = distance between 8-row groups. The
//   k-step kk (elements 16kk..16kk+15) starts at block kk/4, byte (kk%4)*32: the hardware
//   adds the row offset and then swizzles the full address, so the +32 B start stays
//   consistent with the chunk XOR above (chunk 2(kk%4)+{0,1} of row r -> ^ r%8).
// * MN-major operand (V as B of O = P V, imm-trans-b = 1; K = keys are the rows, N = head
//   dim contiguous): the canonical SW128 MN-major layout is ((64 elems, n), (8 rows, k)) :
//   ((contiguous, LBO), (128 B, SBO)): LBO = distance between 64-wide N blocks = R*128
//   (the column-block size), SBO = 1024 = distance between 8-key groups. The k-step of
//   keys 16kk..16kk+15 starts at byte kk*2048 (1024-aligned).
#pragma once

#include "mbarrier_bulk.cuh"  // fence_proxy_async_shared

// NVRTC has no <stdint.h>: 64-bit descriptors are unsigned long long.
typedef unsigned long long wgmma_desc_t;

#if defined(__CUDA_ARCH__) && !defined(__CUDA_ARCH_FEAT_SM90_ALL)
#error "wgmma needs the arch-specific target sm_90a (configs: arch: sm_90a)"
#endif

// Byte offset of (row, 16-byte chunk `chunk` of the full row) in an SW128 tile of `rows`
// rows (see above): column block chunk / 8, chunk chunk % 8 XOR row % 8.
__device__ __forceinline__ unsigned sw128_offset(int rows, int row, int chunk) {
  return static_cast<unsigned>((chunk >> 3) * rows * 128 + row * 128 + (((chunk & 7) ^ (row & 7)) << 4));
}

// Descriptor of a 128B-swizzled operand starting at shared address `addr` (bytes).
__device__ __forceinline__ wgmma_desc_t sw128_desc(unsigned addr, unsigned lbo_bytes, unsigned sbo_bytes) {
  return static_cast<wgmma_desc_t>((addr & 0x3FFFF) >> 4) |
         (static_cast<wgmma_desc_t>(lbo_bytes >> 4) << 16) |
         (static_cast<wgmma_desc_t>(sbo_bytes >> 4) << 32) |
         (static_cast<wgmma_desc_t>(1) << 62);
}

// K-major operand (A or B, imm-trans 0) in an SW128 tile of `rows` rows: the 16 columns of
// k-step kk are in column block kk / 4 at byte 32 (kk % 4); SBO 1024 (8-row groups), LBO
// unused (16: the CUTLASS convention for swizzled K-major).
__device__ __forceinline__ wgmma_desc_t desc_k_major(unsigned tile, int rows, int kk) {
  return sw128_desc(tile + (kk >> 2) * rows * 128 + (kk & 3) * 32, 16, 1024);
}

// MN-major B (imm-trans-b 1) in an SW128 tile of `rows` rows = the K dimension, N along the
// row: the 16 rows of k-step kk start at byte 2048 kk; LBO = rows * 128 (next 64-wide N
// block), SBO 1024 (next 8 rows).
__device__ __forceinline__ wgmma_desc_t desc_mn_major(unsigned tile, int rows, int kk) {
  return sw128_desc(tile + kk * 2048, rows * 128, 1024);
}

// Orders this warpgroup's register writes (accumulators, A fragments) before the wgmma
// that read them; needed before the first wgmma of a batch.
__device__ __forceinline__ void wgmma_fence() { asm volatile("wgmma.fence.sync.aligned;" ::: "memory"); }

__device__ __forceinline__ void wgmma_commit() { asm volatile("wgmma.commit_group.sync.aligned;" ::: "memory"); }

// Waits until at most `Pending` committed wgmma groups of this warpgroup are in flight.
template <int Pending>
__device__ __forceinline__ void wgmma_wait() {
  asm volatile("wgmma.wait_group.sync.aligned %0;" ::"n"(Pending) : "memory");
}

// Makes the compiler treat `r` as read and written here: keeps accumulator reads after the
// wait (and writes before the fence) in place, since the wgmma asm statements return
// before the hardware has written them.
template <int M>
__device__ __forceinline__ void fence_regs(float (&r)[M]) {
#pragma unroll
  for (int i = 0; i < M; ++i) asm volatile("" : "+f"(r[i])::"memory");
}

// Register fragments (PTX ISA, "wgmma .m64nNk16 register fragments"), warp w of the
// warpgroup (w = warp % 4), lane l, g = l / 4, q = l % 4:
// * accumulator D (64 x N f32, N/2 floats per thread): d[4i + {0,1}] = (16w + g, 8i + 2q +
//   {0,1}), d[4i + {2,3}] = (16w + g + 8, 8i + 2q + {0,1}): per 8-column slice i, the
//   mma.sync m16n8 C fragment of the warp's 16 rows.
// * A from registers (64 x 16, 4 x 32-bit): a0 = (16w + g, 2q + {0,1}), a1 = (16w + g + 8,
//   2q + {0,1}), a2 = (16w + g, 8 + 2q + {0,1}), a3 = (16w + g + 8, 8 + 2q + {0,1}), lower
//   column in the low half: the mma.sync m16n8k16 A fragment. So the A fragment of columns
//   16k..16k+15 is {pack(d[8k], d[8k+1]), pack(d[8k+2], d[8k+3]), pack(d[8k+4], d[8k+5]),
//   pack(d[8k+6], d[8k+7])}.

// The wrappers differ only in N: one macro writes both for each N. Operand lists cannot be
// generated by a loop, so the accumulator operands and their "%k" names come in blocks.
#define WGMMA_ACC8(i) \
  "+f"(d[i]), "+f"(d[i + 1]), "+f"(d[i + 2]), "+f"(d[i + 3]), "+f"(d[i + 4]), "+f"(d[i + 5]), "+f"(d[i + 6]), "+f"(d[i + 7])
#define WGMMA_ACC16(i) WGMMA_ACC8(i), WGMMA_ACC8(i + 8)
#define WGMMA_ACC32 WGMMA_ACC16(0), WGMMA_ACC16(16)
#define WGMMA_ACC48 WGMMA_ACC32, WGMMA_ACC16(32)
#define WGMMA_ACC64 WGMMA_ACC48, WGMMA_ACC16(48)
#define WGMMA_ACC88 WGMMA_ACC64, WGMMA_ACC16(64), WGMMA_ACC8(80)
#define WGMMA_ACC96 WGMMA_ACC64, WGMMA_ACC16(64), WGMMA_ACC16(80)
#define WGMMA_REGS32 "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, " \
                     "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31"
#define WGMMA_REGS48 WGMMA_REGS32 ", %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47"
#define WGMMA_REGS64 WGMMA_REGS48 ", %48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63"
#define WGMMA_REGS80 WGMMA_REGS64 ", %64, %65, %66, %67, %68, %69, %70, %71, %72, %73, %74, %75, %76, %77, %78, %79"
#define WGMMA_REGS88 WGMMA_REGS80 ", %80, %81, %82, %83, %84, %85, %86, %87"
#define WGMMA_REGS96 WGMMA_REGS88 ", %88, %89, %90, %91, %92, %93, %94, %95"

// wgmma_ss: m64nNk16, A and B from shared memory (descriptors), both K-major.
// wgmma_rs_tb: m64nNk16, A from registers (4 x 2 packed 16-bit values), B from shared memory
// transposed (imm-trans-b = 1: N-major, B[k][n] with n contiguous).
// COUNT = N / 2 accumulators a thread; C0..C5 name the operands after them ("%COUNT"...).
#define WGMMA_SHAPE(N, COUNT, REGS, ACC, C0, C1, C2, C3, C4, C5)                                           \
  __device__ __forceinline__ void wgmma_ss(float(&d)[COUNT], wgmma_desc_t desc_a, wgmma_desc_t desc_b,       \
                                           int accumulate) {                                               \
    asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %" C2 ", 0;\n"                                           \
                 "wgmma.mma_async.sync.aligned.m64n" #N "k16.f32." ATTN_PTX_TYPE "." ATTN_PTX_TYPE " "     \
                 "{" REGS "}, %" C0 ", %" C1 ", p, 1, 1, 0, 0;\n}\n"                                        \
                 : ACC                                                                                     \
                 : "l"(desc_a), "l"(desc_b), "r"(accumulate)                                               \
                 : "memory");                                                                              \
  }                                                                                                        \
  __device__ __forceinline__ void wgmma_rs_tb(float(&d)[COUNT], const unsigned(&a)[4], wgmma_desc_t desc_b, \
                                              int accumulate) {                                            \
    asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %" C5 ", 0;\n"                                           \
                 "wgmma.mma_async.sync.aligned.m64n" #N "k16.f32." ATTN_PTX_TYPE "." ATTN_PTX_TYPE " "     \
                 "{" REGS "}, {%" C0 ", %" C1 ", %" C2 ", %" C3 "}, %" C4 ", p, 1, 1, 1;\n}\n"               \
                 : ACC                                                                                     \
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(desc_b), "r"(accumulate)                \
                 : "memory");                                                                              \
  }

WGMMA_SHAPE(64, 32, WGMMA_REGS32, WGMMA_ACC32, "32", "33", "34", "35", "36", "37")
WGMMA_SHAPE(96, 48, WGMMA_REGS48, WGMMA_ACC48, "48", "49", "50", "51", "52", "53")
WGMMA_SHAPE(128, 64, WGMMA_REGS64, WGMMA_ACC64, "64", "65", "66", "67", "68", "69")
WGMMA_SHAPE(176, 88, WGMMA_REGS88, WGMMA_ACC88, "88", "89", "90", "91", "92", "93")
WGMMA_SHAPE(192, 96, WGMMA_REGS96, WGMMA_ACC96, "96", "97", "98", "99", "100", "101")
