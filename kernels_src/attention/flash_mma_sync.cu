// attention/flash_mma_sync.cu: flash-attention forward, tensor cores through mma.sync
// (sm_80+ path, run on sm_90): stage 1, space mma_sync of configs/attention.yaml.
//
//   flash_attn_fwd(Q, K, V, O, LSE, N, softmax_scale)
//     Q, K, V, O: [B, H, N, HEAD_DIM] contiguous; LSE: float32 [B, H, N], the natural-log
//     log-sum-exp of the scaled scores of each query row. grid (ceil(N / BLOCK_M), B * H),
//     blockIdx.y = b * H + h; WARPS * 32 threads; dynamic shared memory
//     (BLOCK_M + 2 * STAGES * BLOCK_N) * HEAD_DIM * 2 bytes. softmax_scale must be > 0.
//
// Structure (FlashAttention-2): each warp owns BLOCK_M / WARPS query rows (one or two
// 16-row m16n8k16 tiles); the block walks K/V in BLOCK_N-key tiles through a STAGES-deep
// cp.async ring; S = Q K^T and the online softmax stay in registers, P is repacked from
// the S accumulators as the A operand of P V without touching shared memory. Shared tiles
// are XOR-swizzled in 16-byte chunks so cp.async stores and ldmatrix loads are
// conflict-free. Masks (keys >= N, causal) are applied only on tiles that need them.
// A row whose scores are all -inf gives O = 0 and LSE = -inf. Index derivations:
// docs/design/flash_attention.md.
#include "attention/common.cuh"

namespace {

KPG_PARAM(kD, HEAD_DIM);
KPG_PARAM(kCausalParam, CAUSAL);
KPG_PARAM(kBlockM, BLOCK_M);
KPG_PARAM(kBlockN, BLOCK_N);
KPG_PARAM(kWarps, WARPS);
KPG_PARAM(kStages, STAGES);
KPG_PARAM(kQInRegsParam, Q_IN_REGS);  // 1: Q fragments loaded once into registers; 0: re-read from shared
constexpr bool kCausal = kCausalParam != 0;
constexpr bool kQInRegs = kQInRegsParam != 0;
constexpr int kThreads = kWarps * 32;
constexpr int kRowsPerWarp = kBlockM / kWarps;
constexpr int kMTiles = kRowsPerWarp / 16;  // 16-row mma tiles per warp
constexpr int kNTiles = kBlockN / 8;        // 8-key column tiles of S
constexpr int kDTiles = kD / 8;             // 8-wide column tiles of O
constexpr int kKSteps = kD / 16;            // k16 steps of Q K^T
constexpr int kChunks = kD / 8;             // 16-byte chunks per shared row
constexpr unsigned kKVStageBytes = kBlockN * kD * 2;

static_assert(kD % 64 == 0 && kD <= 256, "HEAD_DIM must be 64, 128, 192 or 256");
static_assert(kBlockM % (16 * kWarps) == 0, "BLOCK_M must be a multiple of 16 * WARPS");
static_assert(kMTiles >= 1 && kMTiles <= 2, "each warp owns 16 or 32 query rows");
static_assert(kBlockN % 16 == 0, "BLOCK_N must be a multiple of 16");
static_assert(kStages >= 1 && kStages <= 4, "STAGES must be 1..4");
static_assert((kBlockN * kChunks) % kThreads == 0 && (kBlockM * kChunks) % kThreads == 0,
              "tile loads must divide evenly among the threads");

// Element offset of (row, 16-byte chunk) in a [rows][kD] shared tile: the chunk index is
// XORed with row % 8, so the 8 rows an ldmatrix matrix reads (same logical chunk) and the
// 8 chunks of one row a cp.async warp writes hit 8 distinct 16-byte bank groups.
__device__ __forceinline__ int swizzle(int row, int chunk) {
  return row * kD + ((chunk ^ (row & 7)) << 3);
}

// Starts the copy of rows [0, Rows) of a [*, kD] global tile into a swizzled shared tile;
// rows >= valid_rows are zero-filled. `src` (row 0) must be a valid address.
template <int Rows>
__device__ __forceinline__ void load_tile_async(unsigned dst, const attn_t* src, int valid_rows,
                                                int tid) {
#pragma unroll
  for (int i = 0; i < Rows * kChunks / kThreads; ++i) {
    const int idx = tid + i * kThreads;
    const int row = idx / kChunks;
    const int chunk = idx % kChunks;
    const bool valid = row < valid_rows;
    cp_async_16(dst + swizzle(row, chunk) * 2, valid ? src + row * kD + chunk * 8 : src, valid);
  }
}

}  // namespace

// Min 1 block per SM: lets ptxas use up to 255 registers (with no minimum it sometimes
// settles at 128 and spills).
extern "C" __global__ void __launch_bounds__(kThreads, 1)
    flash_attn_fwd(ATTN_FWD_PARAMS) {
  extern __shared__ __align__(128) unsigned char smem[];
  attn_t* sQ = reinterpret_cast<attn_t*>(smem);
  const unsigned sQ_addr = attn_smem_addr(smem);
  const unsigned sK_addr = sQ_addr + kBlockM * kD * 2;
  const unsigned sV_addr = sK_addr + kStages * kKVStageBytes;

  const int tid = threadIdx.x;
  const int lane = tid & 31;
  const int warp = tid >> 5;
  // Causal blocks with more K/V tiles (higher rows) start first: better tail balance.
  const int m_block = kCausal ? gridDim.x - 1 - blockIdx.x : blockIdx.x;
  const int q0 = m_block * kBlockM;
  const long long bh = blockIdx.y;
  const attn_t* Qbh = Q + bh * N * kD;
  const attn_t* Kbh = K + bh * N * kD;
  const attn_t* Vbh = V + bh * N * kD;
  const int warp_row0 = warp * kRowsPerWarp;  // first row of this warp in the block tile

  // Causal: keys beyond the block's last row are masked for every row; skip those tiles.
  const int kv_end = kCausal ? min(N, q0 + kBlockM) : N;
  const int n_tiles = (kv_end + kBlockN - 1) / kBlockN;

  auto load_kv = [&](int tile, int stage) {
    const int kv0 = tile * kBlockN;
    const long long off = static_cast<long long>(kv0) * kD;
    load_tile_async<kBlockN>(sK_addr + stage * kKVStageBytes, Kbh + off, N - kv0, tid);
    load_tile_async<kBlockN>(sV_addr + stage * kKVStageBytes, Vbh + off, N - kv0, tid);
  };

  // cp.async groups, in commit order: Q, then one per K/V tile (empty past the last).
  load_tile_async<kBlockM>(sQ_addr, Qbh + static_cast<long long>(q0) * kD, N - q0, tid);
  cp_async_commit();
#pragma unroll
  for (int s = 0; s < kStages - 1; ++s) {
    if (s < n_tiles) load_kv(s, s);
    cp_async_commit();
  }
  cp_async_wait<kStages - 1>();  // Q landed (tiles may still be in flight)
  __syncthreads();

  // A fragments of this warp's Q rows. ldmatrix x4: lane l addresses row l % 16, chunk
  // 2 kk + l / 16, so r0..r3 = rows 0-7|8-15 x cols 0-7|8-15 = a0, a1, a2, a3.
  auto load_q_frag = [&](unsigned (&a)[4], int mt, int kk) {
    const int row = warp_row0 + mt * 16 + (lane & 15);
    ldmatrix_x4(a, sQ_addr + swizzle(row, 2 * kk + (lane >> 4)) * 2);
  };
  unsigned q_frag[kQInRegs ? kMTiles : 1][kQInRegs ? kKSteps : 1][4];
  if constexpr (kQInRegs) {
#pragma unroll
    for (int mt = 0; mt < kMTiles; ++mt)
#pragma unroll
      for (int kk = 0; kk < kKSteps; ++kk) load_q_frag(q_frag[mt][kk], mt, kk);
  }

  float o_acc[kMTiles][kDTiles][4];
  float row_max[kMTiles][2];  // running max of the raw (unscaled) scores, rows g and g+8
  float row_sum[kMTiles][2];  // this thread's partial sum of exp; summed over the quad at the end
#pragma unroll
  for (int mt = 0; mt < kMTiles; ++mt) {
#pragma unroll
    for (int dt = 0; dt < kDTiles; ++dt)
#pragma unroll
      for (int e = 0; e < 4; ++e) o_acc[mt][dt][e] = 0.0f;
#pragma unroll
    for (int r = 0; r < 2; ++r) {
      row_max[mt][r] = attn_neg_inf();
      row_sum[mt][r] = 0.0f;
    }
  }
  const float scale_log2 = softmax_scale * kLog2e;

  for (int j = 0; j < n_tiles; ++j) {
    int stage;
    if constexpr (kStages == 1) {
      if (j > 0) __syncthreads();  // everyone is done with the previous tile
      load_kv(j, 0);
      cp_async_commit();
      cp_async_wait<0>();
      __syncthreads();
      stage = 0;
    } else {
      // Groups committed so far: Q + (kStages - 1) + j; tile j is group j + 1, so at
      // most kStages - 2 may stay pending. The barrier also means every warp has
      // finished tile j - 1, whose stage the next load overwrites.
      cp_async_wait<kStages - 2>();
      __syncthreads();
      const int next = j + kStages - 1;
      if (next < n_tiles) load_kv(next, next % kStages);
      cp_async_commit();
      stage = j % kStages;
    }
    const unsigned sK = sK_addr + stage * kKVStageBytes;
    const unsigned sV = sV_addr + stage * kKVStageBytes;

    // ---- S = Q K^T (raw scores), C layout: s[mt][nt][0,1] row g, keys 8nt + 2(l%4) + {0,1};
    // [2,3] row g + 8.
    float s[kMTiles][kNTiles][4];
#pragma unroll
    for (int mt = 0; mt < kMTiles; ++mt)
#pragma unroll
      for (int nt = 0; nt < kNTiles; ++nt)
#pragma unroll
        for (int e = 0; e < 4; ++e) s[mt][nt][e] = 0.0f;
#pragma unroll
    for (int kk = 0; kk < kKSteps; ++kk) {
      unsigned qa[kMTiles][4];
#pragma unroll
      for (int mt = 0; mt < kMTiles; ++mt) {
        if constexpr (kQInRegs) {
#pragma unroll
          for (int e = 0; e < 4; ++e) qa[mt][e] = q_frag[kQInRegs ? mt : 0][kQInRegs ? kk : 0][e];
        } else {
          load_q_frag(qa[mt], mt, kk);
        }
      }
#pragma unroll
      for (int nt2 = 0; nt2 < kNTiles / 2; ++nt2) {
        // B = K^T: b0 = K[keys 0-7][d 0-7] of the k16 step, b1 = K[keys 0-7][d 8-15]
        // (no transpose: lane t gets key t/4, d 2(t%4)+{0,1}). Lane l addresses key
        // (l % 8) + 8 (l / 16), chunk 2 kk + (l / 8) % 2: r0, r1 = b0, b1 of n-tile
        // 2 nt2; r2, r3 = b0, b1 of n-tile 2 nt2 + 1.
        unsigned b[4];
        const int key = nt2 * 16 + (lane & 7) + ((lane >> 4) << 3);
        ldmatrix_x4(b, sK + swizzle(key, 2 * kk + ((lane >> 3) & 1)) * 2);
#pragma unroll
        for (int mt = 0; mt < kMTiles; ++mt) {
          mma_16816(s[mt][2 * nt2], qa[mt], b[0], b[1]);
          mma_16816(s[mt][2 * nt2 + 1], qa[mt], b[2], b[3]);
        }
      }
    }

    // ---- Masks: only on the last tile when N % BLOCK_N != 0 and on tiles that reach
    // above the block's first row (causal).
    const int kv0 = j * kBlockN;
    const bool need_mask = kv0 + kBlockN > N || (kCausal && kv0 + kBlockN - 1 > q0);
    if (need_mask) {
#pragma unroll
      for (int mt = 0; mt < kMTiles; ++mt)
#pragma unroll
        for (int nt = 0; nt < kNTiles; ++nt)
#pragma unroll
          for (int e = 0; e < 4; ++e) {
            const int row = q0 + warp_row0 + mt * 16 + (lane >> 2) + (e >= 2 ? 8 : 0);
            const int col = kv0 + nt * 8 + (lane & 3) * 2 + (e & 1);
            if (col >= N || (kCausal && col > row)) s[mt][nt][e] = attn_neg_inf();
          }
    }

    // ---- Online softmax. Row g's values sit in s[..][..][0,1] of the 4 lanes of a quad
    // (row g + 8 in [2,3]): max over the quad with xor shuffles 1 and 2.
#pragma unroll
    for (int mt = 0; mt < kMTiles; ++mt)
#pragma unroll
      for (int r = 0; r < 2; ++r) {
        float mx = row_max[mt][r];
#pragma unroll
        for (int nt = 0; nt < kNTiles; ++nt)
          mx = fmaxf(mx, fmaxf(s[mt][nt][2 * r], s[mt][nt][2 * r + 1]));
        mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 1));
        mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 2));
        // All -inf so far: shift by 0 so exp2(-inf - 0) = 0 instead of NaN.
        const float shift = mx == attn_neg_inf() ? 0.0f : mx * scale_log2;
        const float alpha = attn_exp2(row_max[mt][r] * scale_log2 - shift);  // 0 on first tile
        row_max[mt][r] = mx;
        float sum = 0.0f;
#pragma unroll
        for (int nt = 0; nt < kNTiles; ++nt)
#pragma unroll
          for (int c = 0; c < 2; ++c) {
            const float p = attn_exp2(fmaf(s[mt][nt][2 * r + c], scale_log2, -shift));
            s[mt][nt][2 * r + c] = p;
            sum += p;
          }
        row_sum[mt][r] = row_sum[mt][r] * alpha + sum;
#pragma unroll
        for (int dt = 0; dt < kDTiles; ++dt) {
          o_acc[mt][dt][2 * r] *= alpha;
          o_acc[mt][dt][2 * r + 1] *= alpha;
        }
      }

    // ---- O += P V. P's A fragment for keys 16 kk2..+15 is the C fragment of n-tiles
    // 2 kk2 (a0 = row g, a1 = row g+8) and 2 kk2 + 1 (a2, a3), rounded to 16 bits.
#pragma unroll
    for (int kk2 = 0; kk2 < kNTiles / 2; ++kk2) {
      unsigned pa[kMTiles][4];
#pragma unroll
      for (int mt = 0; mt < kMTiles; ++mt) {
        pa[mt][0] = attn_pack2(s[mt][2 * kk2][0], s[mt][2 * kk2][1]);
        pa[mt][1] = attn_pack2(s[mt][2 * kk2][2], s[mt][2 * kk2][3]);
        pa[mt][2] = attn_pack2(s[mt][2 * kk2 + 1][0], s[mt][2 * kk2 + 1][1]);
        pa[mt][3] = attn_pack2(s[mt][2 * kk2 + 1][2], s[mt][2 * kk2 + 1][3]);
      }
#pragma unroll
      for (int dt2 = 0; dt2 < kDTiles / 2; ++dt2) {
        // B = V[keys][d]: b0 = keys 0-7, b1 = keys 8-15 of one 8-wide d-tile, read with
        // .trans (lane t gets keys 2(t%4)+{0,1}, d t/4). Lane l addresses key l % 16,
        // chunk 2 dt2 + l / 16: r0, r1 = b0, b1 of d-tile 2 dt2; r2, r3 of 2 dt2 + 1.
        unsigned b[4];
        ldmatrix_x4_trans(b, sV + swizzle(kk2 * 16 + (lane & 15), 2 * dt2 + (lane >> 4)) * 2);
#pragma unroll
        for (int mt = 0; mt < kMTiles; ++mt) {
          mma_16816(o_acc[mt][2 * dt2], pa[mt], b[0], b[1]);
          mma_16816(o_acc[mt][2 * dt2 + 1], pa[mt], b[2], b[3]);
        }
      }
    }
  }
  cp_async_wait<0>();  // only empty groups can remain; leave none behind

  // ---- Epilogue: O / l through this warp's own rows of sQ (only this warp ever read
  // them), then 16-byte coalesced stores; LSE = max * scale + log(l), -inf when l = 0.
  attn_t* Obh = O + bh * N * kD;
  __syncwarp();
#pragma unroll
  for (int mt = 0; mt < kMTiles; ++mt)
#pragma unroll
    for (int r = 0; r < 2; ++r) {
      float l = row_sum[mt][r];
      l += __shfl_xor_sync(0xffffffffu, l, 1);
      l += __shfl_xor_sync(0xffffffffu, l, 2);
      const float inv = l == 0.0f ? 0.0f : 1.0f / l;
      const int row_local = warp_row0 + mt * 16 + (lane >> 2) + 8 * r;
      const int row = q0 + row_local;
      if ((lane & 3) == 0 && row < N)
        LSE[bh * N + row] =
            l == 0.0f ? attn_neg_inf() : row_max[mt][r] * softmax_scale + logf(l);
#pragma unroll
      for (int dt = 0; dt < kDTiles; ++dt) {
        const int elem = row_local * kD + ((dt ^ (row_local & 7)) << 3) + (lane & 3) * 2;
        *reinterpret_cast<unsigned*>(sQ + elem) =
            attn_pack2(o_acc[mt][dt][2 * r] * inv, o_acc[mt][dt][2 * r + 1] * inv);
      }
    }
  __syncwarp();
#pragma unroll
  for (int i = 0; i < kRowsPerWarp * kChunks / 32; ++i) {
    const int idx = lane + 32 * i;
    const int row_local = warp_row0 + idx / kChunks;
    const int chunk = idx % kChunks;
    const int row = q0 + row_local;
    if (row < N)
      *reinterpret_cast<uint4*>(Obh + static_cast<long long>(row) * kD + chunk * 8) =
          *reinterpret_cast<const uint4*>(sQ + swizzle(row_local, chunk));
  }
}
