// attention/wgmma_rows.cuh: one consumer warpgroup's per-tile math and epilogue, shared by
// the wgmma kernels of stage 2 (flash_wgmma.cu) and stage 3 (flash_wgmma_ws.cu).
// A warpgroup owns 64 query rows; thread (warp w, lane) holds rows 16 w + lane / 4 (r = 0)
// and the same + 8 (r = 1). Accumulator layouts: attention/wgmma.cuh. Needs
// attention/common.cuh and attention/wgmma.cuh first.
#pragma once

// Sizes of a consumer warpgroup's tiles: its 64 query rows and the K/V tiles of BlockN keys,
// D wide, in shared memory (SW128) and in registers.
template <int D, int BlockN>
struct WgTiles {
  static constexpr int kPSteps = BlockN / 16;           // k16 steps of P V
  static constexpr int kSRegs = BlockN / 2;             // S accumulator floats per thread
  static constexpr int kORegs = D / 2;                  // O accumulator floats per thread
  static constexpr unsigned kQBytes = 64 * D * 2;       // one warpgroup's Q tile
  static constexpr unsigned kKVBytes = BlockN * D * 2;  // one K or V stage
};

// S = Q K^T of one tile (asynchronous: wgmma_wait + fence_regs before reading s). Q (A,
// the warpgroup's 64 rows at sQ_wg) and K (B, BlockN rows at sK) K-major, D wide.
template <int D, int BlockN>
__device__ __forceinline__ void wg_issue_s(float (&s)[BlockN / 2], unsigned sQ_wg, unsigned sK) {
  wgmma_fence();
#pragma unroll
  for (int kk = 0; kk < D / 16; ++kk)
    wgmma_ss(s, desc_k_major(sQ_wg, 64, kk), desc_k_major(sK, BlockN, kk), kk > 0 ? 1 : 0);
  wgmma_commit();
}

// O += P V of one tile (asynchronous): V (B, BlockN rows at sV) MN-major, imm-trans-b = 1.
// pa must stay unchanged until the wgmma_wait that covers it.
template <int D, int BlockN>
__device__ __forceinline__ void wg_issue_pv(float (&o)[D / 2], const unsigned (&pa)[BlockN / 16][4],
                                            unsigned sV) {
  fence_regs(o);
  wgmma_fence();
#pragma unroll
  for (int k = 0; k < BlockN / 16; ++k) wgmma_rs_tb(o, pa[k], desc_mn_major(sV, BlockN, k), 1);
  wgmma_commit();
}

// Masks, then the online softmax of one S tile of BlockN keys starting at key kv0, in
// place (s becomes P, unnormalised); row_max (raw, unscaled) and row_sum (this thread's
// partial sums, quad-reduced in the epilogue) are updated, and alpha[r] is the factor the
// O accumulator of row r must be scaled by. Masks only where the tile passes N or, causal,
// reaches above the warpgroup's first row q0_wg. s[4i + {0,1}] = row r = 0, keys
// 8i + 2 (lane % 4) + {0,1}; s[4i + {2,3}] = row r = 1.
template <int BlockN, bool Causal>
__device__ __forceinline__ void wg_online_softmax(float (&s)[BlockN / 2], float (&row_max)[2],
                                                  float (&row_sum)[2], float (&alpha)[2], int kv0,
                                                  int n, int q0_wg, int row_in_wg, int lane,
                                                  float scale_log2) {
  const bool need_mask = kv0 + BlockN > n || (Causal && kv0 + BlockN - 1 > q0_wg);
  if (need_mask) {
#pragma unroll
    for (int i = 0; i < BlockN / 2; ++i) {
      const int row = q0_wg + row_in_wg + ((i & 2) ? 8 : 0);
      const int col = kv0 + (i >> 2) * 8 + (lane & 3) * 2 + (i & 1);
      if (col >= n || (Causal && col > row)) s[i] = attn_neg_inf();
    }
  }
  // A row's values are spread over the 4 lanes of a quad: max with xor shuffles 1 and 2.
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    float mx = row_max[r];
#pragma unroll
    for (int i = 0; i < BlockN / 8; ++i) mx = fmaxf(mx, fmaxf(s[4 * i + 2 * r], s[4 * i + 2 * r + 1]));
    mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 1));
    mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 2));
    // All -inf so far: shift by 0 so exp2(-inf - 0) = 0 instead of NaN.
    const float shift = mx == attn_neg_inf() ? 0.0f : mx * scale_log2;
    alpha[r] = attn_exp2(row_max[r] * scale_log2 - shift);  // 0 on the first tile
    row_max[r] = mx;
    float sum = 0.0f;
#pragma unroll
    for (int i = 0; i < BlockN / 8; ++i)
#pragma unroll
      for (int c = 0; c < 2; ++c) {
        const float p = attn_exp2(fmaf(s[4 * i + 2 * r + c], scale_log2, -shift));
        s[4 * i + 2 * r + c] = p;
        sum += p;
      }
    row_sum[r] = row_sum[r] * alpha[r] + sum;
  }
}

// o[4i + e] belongs to row r = e / 2.
template <int D>
__device__ __forceinline__ void wg_rescale_o(float (&o)[D / 2], const float (&alpha)[2]) {
#pragma unroll
  for (int i = 0; i < D / 8; ++i)
#pragma unroll
    for (int e = 0; e < 4; ++e) o[4 * i + e] *= alpha[e >> 1];
}

// The A fragment of keys 16k..16k+15 is the S accumulator slice s[8k .. 8k+7] rounded to
// 16 bits: no data movement.
template <int BlockN>
__device__ __forceinline__ void wg_to_p(const float (&s)[BlockN / 2], unsigned (&pa)[BlockN / 16][4]) {
#pragma unroll
  for (int k = 0; k < BlockN / 16; ++k) {
    pa[k][0] = attn_pack2(s[8 * k + 0], s[8 * k + 1]);
    pa[k][1] = attn_pack2(s[8 * k + 2], s[8 * k + 3]);
    pa[k][2] = attn_pack2(s[8 * k + 4], s[8 * k + 5]);
    pa[k][3] = attn_pack2(s[8 * k + 6], s[8 * k + 7]);
  }
}

// Epilogue, in two steps so that a caller can start other work between them (stage 3's
// EPI_OVERLAP issues the next work tile's first GEMM once O has left the registers).
// wg_stage_o_lse: O / l into this warp's own 16 rows of the warpgroup's Q tile at sQ_wg (an
// SW128 tile of 64 rows; only this warp reads those rows back, and every wgmma reading Q
// must have completed); LSE_bh[row] = max * scale + log(l), -inf when l = 0 (fully masked
// rows: O = 0). wg_store_o: those rows, 16-byte coalesced, to O_bh (rows q0_wg.., D wide).
template <int D>
__device__ __forceinline__ void wg_stage_o_lse(const float (&o)[D / 2], const float (&row_max)[2],
                                               const float (&row_sum)[2], unsigned char* sQ_wg, float* LSE_bh,
                                               int n, int q0_wg, int warp_in_wg, int lane, float softmax_scale) {
  const int row_in_wg = warp_in_wg * 16 + (lane >> 2);
  __syncwarp();
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    float l = row_sum[r];
    l += __shfl_xor_sync(0xffffffffu, l, 1);
    l += __shfl_xor_sync(0xffffffffu, l, 2);
    const float inv = l == 0.0f ? 0.0f : 1.0f / l;
    const int row_local = row_in_wg + 8 * r;
    const int row = q0_wg + row_local;
    if ((lane & 3) == 0 && row < n)
      LSE_bh[row] = l == 0.0f ? attn_neg_inf() : row_max[r] * softmax_scale + logf(l);
#pragma unroll
    for (int i = 0; i < D / 8; ++i) {
      const unsigned off = sw128_offset(64, row_local, i) + (lane & 3) * 4;
      *reinterpret_cast<unsigned*>(sQ_wg + off) =
          attn_pack2(o[4 * i + 2 * r] * inv, o[4 * i + 2 * r + 1] * inv);
    }
  }
  __syncwarp();
}

template <int D>
__device__ __forceinline__ void wg_store_o(const unsigned char* sQ_wg, attn_t* O_bh, int n, int q0_wg,
                                           int warp_in_wg, int lane) {
  constexpr int kChunks = D / 8;  // 16-byte chunks a row
#pragma unroll
  for (int it = 0; it < 16 * kChunks / 32; ++it) {
    const int idx = lane + 32 * it;
    const int row_local = warp_in_wg * 16 + idx / kChunks;
    const int chunk = idx % kChunks;
    const int row = q0_wg + row_local;
    if (row < n)
      *reinterpret_cast<uint4*>(O_bh + static_cast<long long>(row) * D + chunk * 8) =
          *reinterpret_cast<const uint4*>(sQ_wg + sw128_offset(64, row_local, chunk));
  }
}
