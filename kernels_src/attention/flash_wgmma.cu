// attention/flash_wgmma.cu: flash-attention forward on Hopper warpgroup MMA (wgmma,
// sm_90a): stage 2, space wgmma of configs/attention.yaml, with stage 1's contract
// (attention/flash_mma_sync.cu):
//
//   flash_attn_fwd_wgmma(Q, K, V, O, LSE, N, softmax_scale)
//     Q, K, V, O: [B, H, N, HEAD_DIM] contiguous 16-bit; LSE: float32 [B, H, N], natural
//     log of the sum of exp of the scaled scores of each query row. grid
//     (ceil(N / BLOCK_M), B * H), blockIdx.y = b * H + h, BLOCK_M = 64 * NUM_WG;
//     128 * NUM_WG threads; dynamic shared memory
//     (BLOCK_M + 2 * STAGES * BLOCK_N) * HEAD_DIM * 2 + 1024 bytes (1024: alignment slack).
//     softmax_scale must be > 0. A fully masked row gives O = 0, LSE = -inf.
//
// Structure (FlashAttention-3, simplified): NUM_WG consumer warpgroups, each owning 64 query
// rows; every thread helps load K/V tiles of BLOCK_N keys with cp.async into a STAGES-deep
// ring of 128B-swizzled shared tiles (one __syncthreads per tile, as in stage 1). Per
// tile and warpgroup: S = Q K^T with wgmma m64n{BLOCK_N}k16 (Q and K from shared memory
// through descriptors), the online softmax on the S accumulators in registers (exp2 with
// log2(e) folded into the scale; masks only on edge/diagonal tiles; causal tiles above a
// warpgroup's last row skipped), then O += P V with wgmma m64n{HEAD_DIM}k16, P converted
// to 16 bits in registers as the A operand and V read from shared memory transposed.
// Layouts: attention/wgmma.cuh and docs/design/flash_attention.md, "Stage 2".
#include "attention/common.cuh"
#include "attention/wgmma.cuh"
#include "attention/wgmma_rows.cuh"

namespace {

KPG_PARAM(kD, HEAD_DIM);
KPG_PARAM(kCausalParam, CAUSAL);
KPG_PARAM(kWG, NUM_WG);
KPG_PARAM(kBlockN, BLOCK_N);
KPG_PARAM(kStages, STAGES);
constexpr bool kCausal = kCausalParam != 0;
constexpr int kBlockM = 64 * kWG;
constexpr int kThreads = 128 * kWG;
constexpr int kChunks = kD / 8;  // 16-byte chunks per row
using Tiles = WgTiles<kD, kBlockN>;

static_assert(kD == 64 || kD == 128 || kD == 192, "HEAD_DIM must be 64, 128 or 192 (wgmma N)");
static_assert(kBlockN == 64 || kBlockN == 96 || kBlockN == 128 || kBlockN == 192,
              "BLOCK_N must be 64, 96, 128 or 192 (wrappers in attention/wgmma.cuh)");
static_assert(kWG >= 1 && kWG <= 3, "NUM_WG must be 1..3");
static_assert(kStages >= 2 && kStages <= 4, "STAGES must be 2..4");

// Starts the copy of rows [0, Rows) of a [*, kD] global tile into an SW128 shared tile of
// Rows rows (attention/wgmma.cuh); rows >= valid_rows are zero-filled. Threads t in
// [0, NThreads) take part; consecutive threads copy consecutive chunks of a row.
template <int Rows, int NThreads>
__device__ __forceinline__ void load_tile_async(unsigned dst, const attn_t* src, int valid_rows, int t) {
  constexpr int kTotal = Rows * kChunks;
#pragma unroll
  for (int i = 0; i < (kTotal + NThreads - 1) / NThreads; ++i) {
    const int idx = t + i * NThreads;
    if (kTotal % NThreads == 0 || idx < kTotal) {
      const int row = idx / kChunks;
      const int chunk = idx % kChunks;
      const bool valid = row < valid_rows;
      cp_async_16(dst + sw128_offset(Rows, row, chunk), valid ? src + row * kD + chunk * 8 : src, valid);
    }
  }
}

}  // namespace

extern "C" __global__ void __launch_bounds__(kThreads, 1)
    flash_attn_fwd_wgmma(ATTN_FWD_PARAMS) {
  extern __shared__ __align__(128) unsigned char smem_raw[];
  // SW128 atoms must start at 1024-byte-aligned shared addresses (the hardware swizzles
  // address bits [4,7) with [7,10)): round the base up; the launch adds 1024 bytes.
  const unsigned raw_addr = attn_smem_addr(smem_raw);
  const unsigned base = (raw_addr + 1023u) & ~1023u;
  unsigned char* smem = smem_raw + (base - raw_addr);
  const unsigned sQ_addr = base;                                 // kWG tiles of 64 x kD
  const unsigned sK_addr = sQ_addr + kWG * Tiles::kQBytes;       // kStages tiles of kBlockN x kD
  const unsigned sV_addr = sK_addr + kStages * Tiles::kKVBytes;  // kStages tiles of kBlockN x kD

  const int tid = threadIdx.x;
  const int wg = tid >> 7;          // warpgroup: query rows 64 wg .. 64 wg + 63 of the block
  const int wtid = tid & 127;       // thread in the warpgroup
  const int warp_in_wg = wtid >> 5; // rows 16 warp_in_wg .. +15 of the warpgroup
  const int lane = tid & 31;
  const int m_block = kCausal ? gridDim.x - 1 - blockIdx.x : blockIdx.x;  // longest first
  const int q0 = m_block * kBlockM;
  const int q0_wg = q0 + 64 * wg;
  const long long bh = blockIdx.y;
  const attn_t* Qbh = Q + bh * N * kD;
  const attn_t* Kbh = K + bh * N * kD;
  const attn_t* Vbh = V + bh * N * kD;

  // Causal: keys beyond the block's last row are masked for every row: skip those tiles.
  const int kv_end = kCausal ? min(N, q0 + kBlockM) : N;
  const int n_tiles = (kv_end + kBlockN - 1) / kBlockN;
  // This warpgroup's last row sees keys <= q0_wg + 63: later tiles are skipped (causal).
  const int wg_tiles = kCausal ? min(n_tiles, (q0_wg + 64 + kBlockN - 1) / kBlockN) : n_tiles;

  auto load_kv = [&](int tile, int stage) {
    const int kv0 = tile * kBlockN;
    const long long off = static_cast<long long>(kv0) * kD;
    load_tile_async<kBlockN, kThreads>(sK_addr + stage * Tiles::kKVBytes, Kbh + off, N - kv0, tid);
    load_tile_async<kBlockN, kThreads>(sV_addr + stage * Tiles::kKVBytes, Vbh + off, N - kv0, tid);
  };

  // cp.async groups, in commit order: Q (each warpgroup its own 64 rows), then one group
  // per K/V tile (empty past the last).
  load_tile_async<64, 128>(sQ_addr + wg * Tiles::kQBytes, Qbh + static_cast<long long>(q0_wg) * kD, N - q0_wg, wtid);
  cp_async_commit();
#pragma unroll
  for (int s = 0; s < kStages - 1; ++s) {
    if (s < n_tiles) load_kv(s, s);
    cp_async_commit();
  }

  float o_acc[Tiles::kORegs];
#pragma unroll
  for (int i = 0; i < Tiles::kORegs; ++i) o_acc[i] = 0.0f;
  // Rows of this thread: r = 0 -> 16 warp_in_wg + lane/4, r = 1 -> the same + 8.
  float row_max[2] = {attn_neg_inf(), attn_neg_inf()};  // raw (unscaled) running max
  float row_sum[2] = {0.0f, 0.0f};  // this thread's partial sums; quad-reduced at the end
  const float scale_log2 = softmax_scale * kLog2e;
  const int row_in_wg = warp_in_wg * 16 + (lane >> 2);
  const unsigned sQ_wg = sQ_addr + wg * Tiles::kQBytes;

  // Waits for this thread's copies up to the tile the caller needs (at most kStages - 2
  // groups still in flight), makes them visible to the async proxy (wgmma operand reads),
  // then the barrier publishes everyone's and says every warpgroup is done with the wgmma
  // it waited for before it (so the stage the next load overwrites is free).
  auto tile_barrier = [&] {
    cp_async_wait<kStages - 2>();
    fence_proxy_async_shared();
    __syncthreads();
  };
  auto issue_load = [&](int tile) {  // one cp.async group per call, empty past the last tile
    if (tile < n_tiles) load_kv(tile, tile % kStages);
    cp_async_commit();
  };

  // Shared tiles of K and V tile j (stage j % kStages).
  auto sK_of = [&](int j) { return sK_addr + (j % kStages) * Tiles::kKVBytes; };
  auto sV_of = [&](int j) { return sV_addr + (j % kStages) * Tiles::kKVBytes; };
  // Masks and the online softmax of tile j (attention/wgmma_rows.cuh).
  auto softmax = [&](float(&s)[Tiles::kSRegs], int j, float(&alpha)[2]) {
    wg_online_softmax<kBlockN, kCausal>(s, row_max, row_sum, alpha, j * kBlockN, N, q0_wg, row_in_wg,
                                        lane, scale_log2);
  };

  float s[Tiles::kSRegs];
  unsigned pa[Tiles::kPSteps][4];
  float alpha[2];
  // One tile at a time: S, wait, softmax, P V, wait. Other warpgroups fill the gaps.
  for (int j = 0; j < n_tiles; ++j) {
    // Committed so far: Q + (kStages - 1) + j groups; tile j is group j + 1.
    tile_barrier();
    issue_load(j + kStages - 1);  // into the stage of tile j - 1 (free: barrier)
    if (j >= wg_tiles) continue;  // causal: all of this tile is above this warpgroup's rows
    wg_issue_s<kD, kBlockN>(s, sQ_wg, sK_of(j));
    wgmma_wait<0>();
    fence_regs(s);
    softmax(s, j, alpha);
    wg_rescale_o<kD>(o_acc, alpha);
    wg_to_p<kBlockN>(s, pa);
    wg_issue_pv<kD, kBlockN>(o_acc, pa, sV_of(j));
    wgmma_wait<0>();
    fence_regs(o_acc);
  }
  cp_async_wait<0>();  // only empty groups can remain; leave none behind

  // ---- Epilogue (attention/wgmma_rows.cuh): every wgmma reading Q has completed.
  unsigned char* sQ_tile = smem + wg * Tiles::kQBytes;
  wg_stage_o_lse<kD>(o_acc, row_max, row_sum, sQ_tile, LSE + bh * N, N, q0_wg, warp_in_wg, lane, softmax_scale);
  wg_store_o<kD>(sQ_tile, O + bh * N * kD, N, q0_wg, warp_in_wg, lane);
}
