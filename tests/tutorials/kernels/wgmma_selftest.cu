// wgmma_selftest.cu: one warpgroup runs the two wgmma forms of flash_attn_fwd_wgmma once,
// with the same helpers (kernels_src/attention/wgmma.cuh), so a descriptor or fragment
// layout bug shows up on a single tile against an exact CPU product
// (tests/tutorials/attention_wgmma_gpu_test.cpp):
//   S[64][BLOCK_N] = Q[64][HEAD_DIM] K[BLOCK_N][HEAD_DIM]^T   (wgmma_ss, both K-major)
//   O[64][HEAD_DIM] = P[64][BLOCK_N] V[BLOCK_N][HEAD_DIM]     (wgmma_rs_tb, V MN-major)
// Inputs row-major in global memory, outputs float32 row-major. 128 threads, dynamic shared
// memory (64 + 2 BLOCK_N) * HEAD_DIM * 2 + 1024 bytes. Compile for sm_90a.
#include "attention/common.cuh"
#include "attention/wgmma.cuh"

#ifndef HEAD_DIM
#define HEAD_DIM 64
#endif
#ifndef BLOCK_N
#define BLOCK_N 64
#endif

namespace {
constexpr int kD = HEAD_DIM;
constexpr int kN = BLOCK_N;

// Plain 16-byte copies of a row-major [rows][kD] tile into the SW128 layout.
__device__ void store_tile(unsigned char* dst, const attn_t* src, int rows) {
  for (int idx = threadIdx.x; idx < rows * kD / 8; idx += blockDim.x) {
    const int row = idx / (kD / 8), chunk = idx % (kD / 8);
    *reinterpret_cast<uint4*>(dst + sw128_offset(rows, row, chunk)) =
        *reinterpret_cast<const uint4*>(src + row * kD + chunk * 8);
  }
}
}  // namespace

extern "C" __global__ void __launch_bounds__(128, 1)
    wgmma_selftest(const attn_t* __restrict__ Q, const attn_t* __restrict__ K, const attn_t* __restrict__ P,
                   const attn_t* __restrict__ V, float* __restrict__ S, float* __restrict__ O) {
  extern __shared__ __align__(128) unsigned char smem_raw[];
  const unsigned raw_addr = attn_smem_addr(smem_raw);
  const unsigned base = (raw_addr + 1023u) & ~1023u;
  unsigned char* smem = smem_raw + (base - raw_addr);
  const unsigned sQ = base, sK = sQ + 64 * kD * 2, sV = sK + kN * kD * 2;
  store_tile(smem, Q, 64);
  store_tile(smem + (sK - base), K, kN);
  store_tile(smem + (sV - base), V, kN);
  fence_proxy_async_shared();
  __syncthreads();

  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int g = lane >> 2, q = lane & 3;

  float s[kN / 2];
  wgmma_fence();
#pragma unroll
  for (int kk = 0; kk < kD / 16; ++kk) wgmma_ss(s, desc_k_major(sQ, 64, kk), desc_k_major(sK, kN, kk), kk > 0);
  wgmma_commit();
  wgmma_wait<0>();
  fence_regs(s);
  // s[4i + {0,1}] = (16 warp + g, 8i + 2q + {0,1}); s[4i + {2,3}]: row + 8.
#pragma unroll
  for (int i = 0; i < kN / 2; ++i) {
    const int row = warp * 16 + g + ((i & 2) ? 8 : 0);
    const int col = (i >> 2) * 8 + 2 * q + (i & 1);
    S[row * kN + col] = s[i];
  }

  // A fragment of P for keys 16k..16k+15: {(g, 2q), (g+8, 2q), (g, 8+2q), (g+8, 8+2q)} pairs.
  unsigned pa[kN / 16][4];
  const unsigned* P32 = reinterpret_cast<const unsigned*>(P);
#pragma unroll
  for (int k = 0; k < kN / 16; ++k) {
    const int r0 = warp * 16 + g, c0 = 16 * k + 2 * q;
    pa[k][0] = P32[(r0 * kN + c0) / 2];
    pa[k][1] = P32[((r0 + 8) * kN + c0) / 2];
    pa[k][2] = P32[(r0 * kN + c0 + 8) / 2];
    pa[k][3] = P32[((r0 + 8) * kN + c0 + 8) / 2];
  }
  float o[kD / 2];
#pragma unroll
  for (int i = 0; i < kD / 2; ++i) o[i] = 0.0f;
  fence_regs(o);
  wgmma_fence();
#pragma unroll
  for (int k = 0; k < kN / 16; ++k) wgmma_rs_tb(o, pa[k], desc_mn_major(sV, kN, k), 1);
  wgmma_commit();
  wgmma_wait<0>();
  fence_regs(o);
#pragma unroll
  for (int i = 0; i < kD / 2; ++i) {
    const int row = warp * 16 + g + ((i & 2) ? 8 : 0);
    const int col = (i >> 2) * 8 + 2 * q + (i & 1);
    O[row * kD + col] = o[i];
  }
}
