// attention/flash_wgmma_ws.cu: flash-attention forward, warp-specialised (sm_90a): stage 3,
// space wgmma_ws of configs/attention.yaml. Same contract as stage 2
// (attention/flash_wgmma.cu) but one more warpgroup:
//
//   flash_attn_fwd_wgmma_ws(Q, K, V, O, LSE, N, softmax_scale, BH, tile_counter, K_map, V_map,
//                           Q_map, O_map)
//     Q, K, V, O: [B, H, N, HEAD_DIM] contiguous 16-bit; LSE: float32 [B, H, N], natural
//     log of the sum of exp of the scaled scores of each query row; BH = B * H. A work tile
//     is BLOCK_M = 64 * NUM_WG query rows of one head. PERSIST = 0: grid
//     (ceil(N / BLOCK_M), B * H), one tile a block, blockIdx.y = b * H + h; tile_counter
//     unused. PERSIST = 1: grid (G, 1) with any G >= 1 (the config: min(tiles, SMs)); each
//     block takes the next work tile from tile_counter[0] (atomicAdd), in the order the
//     hardware hands out PERSIST = 0's blocks (head by head, causal longest first; LPT_MB > 0:
//     longest first across sections of heads, see work_tile), and loads its Q and K/V while
//     the consumers finish the tile before. tile_counter: two int32 that must be 0 at
//     launch; the kernel leaves them 0 (the last block resets them). CLUSTER = 2 (non-causal,
//     KV_TMA): clusters of two blocks, grid x a multiple of 2 (PERSIST = 0: ceil(N / BLOCK_M)
//     rounded up), sharing each K/V tile; persistent clusters take fixed turns of pairs of
//     tiles, tile_counter unused. K_map, V_map, Q_map, O_map: tensor maps of K, V, Q and O
//     viewed as [B * H, N, HEAD_DIM], 128-byte swizzle, boxes [1, BLOCK_N / CLUSTER, 64]
//     (K, V), [1, 64, 64] (Q) and [1, 16, 64] (O); K_map and V_map read only when
//     KV_TMA = 1 (K and V otherwise), Q_map and O_map only when QO_TMA = 1 (Q and O
//     otherwise). 128 * (NUM_WG + 1) threads; dynamic shared
//     memory ((1 + PERSIST) * BLOCK_M + 2 * STAGES * BLOCK_N) * HEAD_DIM * 2 + 1024 + 256
//     bytes (1024: alignment slack, 256: the mbarriers). softmax_scale must be > 0. A fully
//     masked row gives O = 0, LSE = -inf.
//
// Structure (FlashAttention-3, section 3.1): warpgroup 0 is the producer, it lowers its
// register budget (setmaxnreg) and only copies: a tile's Q, then K and V tiles of BLOCK_N
// keys into a STAGES-deep ring, with cp.async; each thread's cp.async.mbarrier.arrive.noinc
// makes the stage's "full" mbarrier complete when the copies have landed. KV_TMA = 1: one
// producer thread loads K and V through the Tensor Memory Accelerator instead, announcing
// each tile's bytes on the "full" mbarrier that the copies complete; QO_TMA = 1: the same
// for Q, and each consumer warp's lane 0 stores the warp's staged rows of O through TMA.
// Warpgroups 1..NUM_WG are consumers (64 query rows each, raised register
// budget): they wait on "full", run stage 2's per-tile math (S = Q K^T by wgmma from shared
// memory, online softmax in registers, O += P V by wgmma with P from registers) and arrive on
// the stage's "empty" mbarriers (one for K, one for V) when their wgmma have read it; the
// producer waits on them before it overwrites a stage. No block-wide barrier after the
// set-up. PINGPONG = 1 (two consumers): named barriers hand the tensor cores to the
// consumers in turn, one GEMM each (PV_LAG: two), so one consumer's softmax runs under the
// other's GEMM. EPI_OVERLAP = 1 (persistent): a consumer stages a tile's O in shared memory
// and stores it to global memory only after it has issued the next tile's first Q K^T,
// which the tensor cores compute meanwhile. PV_LAG = 1: a consumer issues tile j's Q K^T
// and tile j - 1's P V together (one turn) and runs tile j's softmax while P V computes
// (FlashAttention-3, section 3.2). CLUSTER = 2: the two blocks of a cluster work on adjacent
// query tiles of one head, so they read the same K and V tiles: each block's producer loads
// half of every tile into both blocks' stages (TMA multicast), halving the L2 reads of K/V,
// and each consumer warp releases a stage in both blocks.
// Layouts: attention/wgmma.cuh;
// design: docs/design/flash_attention.md, "Stage 3".
#include "attention/common.cuh"
#include "attention/mbarrier.cuh"
#include "attention/wgmma.cuh"
#include "attention/wgmma_rows.cuh"
#include "cluster.cuh"
#include "tma.cuh"

namespace {

KPG_PARAM(kD, HEAD_DIM);
KPG_PARAM(kCausalParam, CAUSAL);
KPG_PARAM(kWG, NUM_WG);                 // consumer warpgroups
KPG_PARAM(kBlockN, BLOCK_N);
KPG_PARAM(kStages, STAGES);
KPG_PARAM(kPingpongParam, PINGPONG);    // 1: the two consumers take turns at issuing their GEMMs
KPG_PARAM(kPersistParam, PERSIST);      // 1: blocks take work tiles from a counter
KPG_PARAM(kKvTmaParam, KV_TMA);         // 1: one producer thread loads K and V with TMA; 0: cp.async
KPG_PARAM(kEpiOverlapParam, EPI_OVERLAP);  // 1: a tile's O is stored under the next tile's first Q K^T
KPG_PARAM(kQoTmaParam, QO_TMA);         // 1: Q loaded and O stored with TMA; 0: cp.async and 16-byte stores
KPG_PARAM(kLptMb, LPT_MB);              // > 0 (persistent): longest tiles first, sections of LPT_MB MiB of K/V
KPG_PARAM(kPvLagParam, PV_LAG);         // 1: a tile's P V is issued with the next tile's Q K^T
KPG_PARAM(kCluster, CLUSTER);           // blocks of a cluster that share each K/V tile (TMA multicast)
constexpr bool kCausal = kCausalParam != 0;
constexpr int kBlockM = 64 * kWG;
constexpr bool kPingpong = kPingpongParam != 0;
constexpr bool kPersist = kPersistParam != 0;
constexpr bool kKvTma = kKvTmaParam != 0;
constexpr bool kEpiOverlap = kEpiOverlapParam != 0;
constexpr bool kQoTma = kQoTmaParam != 0;
constexpr bool kLpt = kLptMb > 0;
constexpr bool kPvLag = kPvLagParam != 0;
constexpr bool kMulticast = kCluster > 1;
// Q buffers: a persistent block loads the next tile's Q while this tile's epilogue stages O
// through the other buffer.
constexpr int kQBufs = kPersist ? 2 : 1;
constexpr int kThreads = 128 * (kWG + 1);
using Tiles = WgTiles<kD, kBlockN>;

// Registers. __launch_bounds__(kThreads, 1) gives every thread 65536 / kThreads rounded
// down to a multiple of 8 at launch (168 for 384 threads, 128 for 512); setmaxnreg then
// moves registers from the producer to the consumers inside that pool (FlashAttention-3's
// split): 240 / 160 for 2 / 3 consumers.
constexpr int kLaunchRegs = (65536 / kThreads) / 8 * 8;
constexpr int kProducerRegs = 24;
constexpr int kConsumerRegs = kWG == 2 ? 240 : 160;
static_assert(128 * kProducerRegs + 128 * kWG * kConsumerRegs <= kThreads * kLaunchRegs,
              "setmaxnreg: the split must fit the registers the block launched with");

static_assert(kD == 64 || kD == 128, "HEAD_DIM must be 64 or 128");
static_assert(kBlockN == 64 || kBlockN == 96 || kBlockN == 128 || kBlockN == 176 || kBlockN == 192,
              "BLOCK_N must be 64, 96, 128, 176 or 192 (wrappers in attention/wgmma.cuh)");
static_assert(kWG == 2 || kWG == 3, "NUM_WG (consumer warpgroups) must be 2 or 3");
static_assert(kStages >= 2 && kStages <= 4, "STAGES must be 2..4");
static_assert(!kPingpong || kWG == 2, "PINGPONG needs exactly two consumer warpgroups");
static_assert(!kEpiOverlap || kPersist, "EPI_OVERLAP needs PERSIST: only a persistent block has a next work tile");
static_assert(!kLpt || kPersist, "LPT_MB orders the work tiles of a persistent kernel");
static_assert(kCluster == 1 || kCluster == 2, "CLUSTER must be 1 or 2");
// A cluster's blocks take the same K/V tiles in the same order: every block of a head sees
// every key only without the causal mask. Each block loads its share of a tile (a whole
// number of 8-row swizzle atoms) for all of them.
static_assert(!kMulticast || (kKvTma && !kCausal), "CLUSTER > 1 needs KV_TMA = 1 and CAUSAL = 0");
static_assert(kBlockN % (8 * kCluster) == 0, "CLUSTER must divide a K/V tile into whole swizzle atoms");

// mbarriers, 8 bytes each, after the tiles: kfull[s], vfull[s] (count 128: one noinc
// arrival per producer thread; KV_TMA: count 1, the loading thread's expect_tx arrival, and
// the tile's bytes), qfull[b] (count 128, noinc arrivals, with either K/V load; persistent:
// 129, plus producer thread 0's arrival that publishes the work tile it wrote to slot[b];
// QO_TMA: count 1, thread 0's expect_tx arrival, which also publishes slot[b], and Q's bytes),
// kempty[s], vempty[s], qempty[b] (count 4 NUM_WG: one arrival per consumer warp); then
// slot[b], the work tile index of Q buffer b. K and V of a stage are released apart: with
// PV_LAG a tile's K is done long before its V.
constexpr int kBarBytes = 256;
static_assert((4 * kStages + 2 * kQBufs) * 8 + 4 * kQBufs <= kBarBytes, "mbarrier area too small");
// Named barrier ids: the ping-pong turns (consumer c waits on id kTurnBar + c) and the
// producer warpgroup's own (slot[b] written -> read).
constexpr int kTurnBar = 1;
constexpr int kProducerBar = 3;

// Starts the copy of rows [0, Rows) of a [*, kD] global tile into an SW128 shared tile of
// Rows rows (attention/wgmma.cuh) by the 128 producer threads (t = thread in the
// warpgroup); rows >= valid_rows are zero-filled (nothing read). Thread t copies chunk
// t % kChunks of rows t / kChunks + i kRowStep: kRowStep is a multiple of 8, so every row it
// copies has the same row % 8, hence the same swizzled chunk, and its shared and global
// addresses advance by constants (few live registers: the producer runs on 24).
template <int Rows>
__device__ __forceinline__ void load_tile_async(unsigned dst, const attn_t* src, int valid_rows, int t) {
  constexpr int kChunks = kD / 8;          // 16-byte chunks per row
  constexpr int kRowStep = 128 / kChunks;  // 8 (D = 128) or 16 (D = 64)
  static_assert(128 % kChunks == 0 && kRowStep % 8 == 0 && Rows % kRowStep == 0,
                "tile loads must divide evenly among 128 threads");
  const int row0 = t / kChunks;
  const int chunk = t % kChunks;
  unsigned d = dst + sw128_offset(Rows, row0, chunk);
  const attn_t* g = src + row0 * kD + chunk * 8;
  int left = valid_rows - row0;
  // Not unrolled: unrolled, the compiler hoists every row's address out of the producer's
  // tile loop and spills them at 24 registers.
#pragma unroll 1
  for (int i = 0; i < Rows / kRowStep; ++i) {
    const bool valid = left > 0;
    cp_async_16(d, valid ? g : src, valid);
    d += kRowStep * 128;
    g += kRowStep * kD;
    left -= kRowStep;
  }
}

// KV_TMA, QO_TMA: starts the load of rows [row0, row0 + Rows) of head bh into an SW128
// shared tile of Rows rows at dst (attention/wgmma.cuh), counted on `bar`. The map views the
// tensor as [B * H, N, kD] with a box of 64 columns (128 bytes: the swizzle span) by Rows
// rows by one head: each box lands as one 64-column block of the tile, swizzled by the TMA
// unit as the wgmma descriptors read it (the block starts 1024-aligned), and rows past N
// read as zero, as cp.async's zero-fill gives them. kD / 64 boxes, Rows * kD * 2 bytes in all.
template <int Rows>
__device__ __forceinline__ void load_tile_tma(unsigned dst, const CUtensorMap* map, int row0, int bh, unsigned bar) {
#pragma unroll
  for (int b = 0; b < kD / 64; ++b) tma_load_3d(dst + b * Rows * 128, map, 64 * b, row0, bh, bar);
}

// KV_TMA: starts the load of the K or V tile of keys [kv0, kv0 + kBlockN) of head bh into the
// stage at dst, counted on `bar` (kKVBytes). CLUSTER > 1: this block loads only its share,
// rows [rank kShare, (rank + 1) kShare) of the tile, into the same stage of every block of
// the cluster (TMA multicast), and the other blocks load the rest into its stage, so each
// block's barrier still counts the whole tile. The map's box is then kShare rows; a share
// is whole 8-row swizzle atoms, so it lands at its rows' offset in the tile, swizzled as a
// whole tile's load would have left it.
__device__ __forceinline__ void load_kv_tma(unsigned dst, const CUtensorMap* map, int kv0, int bh, unsigned bar,
                                            int rank) {
  if constexpr (kMulticast) {
    constexpr int kShare = kBlockN / kCluster;
    constexpr unsigned short kAllBlocks = (1u << kCluster) - 1;
#pragma unroll
    for (int b = 0; b < kD / 64; ++b)
      tma_load_3d_multicast(dst + b * kBlockN * 128 + rank * kShare * 128, map, 64 * b, kv0 + rank * kShare, bh, bar,
                            kAllBlocks);
  } else {
    load_tile_tma<kBlockN>(dst, map, kv0, bh, bar);
  }
}

// QO_TMA: stores this warp's 16 rows of a consumer's staged O tile (an SW128 tile of 64
// rows at tile, rows [row0, row0 + 16) of head bh; the warp's rows start 2048 bytes apart,
// a whole number of swizzle atoms, so the TMA unit unswizzles them as staged). The map's box
// is 64 columns by 16 rows by one head; rows past N are not written. Called by one lane,
// after every lane's fence.proxy.async and a __syncwarp; returns once the shared rows have
// been read (the buffer may then be reused).
__device__ __forceinline__ void store_rows_tma(unsigned tile, const CUtensorMap* map, int warp_in_wg, int row0,
                                               int bh) {
#pragma unroll
  for (int b = 0; b < kD / 64; ++b) tma_store_3d(map, 64 * b, row0, bh, tile + b * 64 * 128 + warp_in_wg * 16 * 128);
  tma_store_commit();
  tma_store_wait_read();
}

// The query rows [q0, q0 + kBlockM) of head bh that work tile w covers.
// CLUSTER > 1: a work tile is the cluster's, kCluster consecutive blocks of kBlockM rows of
// one head, and each block takes the one of its rank; where the cluster's rows pass N, a
// block's may start past N: it then loads and releases K/V for the others, computes on
// zeros and writes nothing.
struct WorkTile {
  int q0;
  long long bh;
};

// Not persistent: the block's own tile (w unused); causal blocks run in reverse order
// (longest first). Persistent: the same order over w, head by head. LPT_MB > 0: the heads in
// sections whose K and V fit in LPT_MB MiB (of L2); within a section every head's longest
// tile, then every head's next longest, down to the shortest (causal; without the mask the
// tiles are equal and this only interleaves the section's heads). Head by head, the last
// heads' longest causal tiles are taken when the work runs out, and the blocks finish
// unevenly; longest first over every head at once, the K and V in use no longer fit in L2.
__device__ __forceinline__ WorkTile work_tile(int w, int m_blocks, int n, int bh_count, int rank) {
  if constexpr (kMulticast) {
    const int per_head = (m_blocks + kCluster - 1) / kCluster;
    const int m = kPersist ? w % per_head * kCluster + rank : static_cast<int>(blockIdx.x);
    return {m * kBlockM, kPersist ? w / per_head : static_cast<long long>(blockIdx.y)};
  }
  if constexpr (kLpt) {
    const long long head_bytes = 2ll * n * kD * static_cast<long long>(sizeof(attn_t));
    const int per = static_cast<int>(min(static_cast<long long>(bh_count),
                                         max(1ll, (static_cast<long long>(kLptMb) << 20) / head_bytes)));
    const int section = w / (per * m_blocks);
    const int r = w - section * per * m_blocks;
    const int heads = min(per, bh_count - section * per);  // the last section may be short
    return {(m_blocks - 1 - r / heads) * kBlockM, static_cast<long long>(section) * per + r % heads};
  }
  const int m = kPersist ? w % m_blocks : static_cast<int>(blockIdx.x);
  const int m_block = kCausal ? m_blocks - 1 - m : m;
  return {m_block * kBlockM, kPersist ? w / m_blocks : static_cast<long long>(blockIdx.y)};
}

}  // namespace

// CLUSTER > 1: the grid's x is a multiple of CLUSTER, a cluster's blocks consecutive in x.
#if CLUSTER > 1
#define KPG_ATTN_CLUSTER_DIMS __cluster_dims__(CLUSTER, 1, 1)
#else
#define KPG_ATTN_CLUSTER_DIMS
#endif

extern "C" __global__ void KPG_ATTN_CLUSTER_DIMS __launch_bounds__(kThreads, 1)
    flash_attn_fwd_wgmma_ws(ATTN_FWD_PARAMS, int BH, int* __restrict__ tile_counter,
                            const __grid_constant__ CUtensorMap K_map, const __grid_constant__ CUtensorMap V_map,
                            const __grid_constant__ CUtensorMap Q_map, const __grid_constant__ CUtensorMap O_map) {
  extern __shared__ __align__(128) unsigned char smem_raw[];
  // SW128 atoms must start at 1024-byte-aligned shared addresses: round the base up (the
  // launch adds 1024 bytes of slack).
  const unsigned raw_addr = attn_smem_addr(smem_raw);
  const unsigned base = (raw_addr + 1023u) & ~1023u;
  unsigned char* smem = smem_raw + (base - raw_addr);
  const unsigned sQ_addr = base;                                     // kQBufs x kWG tiles of 64 x kD
  const unsigned sK_addr = sQ_addr + kQBufs * kWG * Tiles::kQBytes;  // kStages tiles of kBlockN x kD
  const unsigned sV_addr = sK_addr + kStages * Tiles::kKVBytes;      // kStages tiles of kBlockN x kD
  const unsigned bar_addr = sV_addr + kStages * Tiles::kKVBytes;
  const auto kfull = [&](int s) { return bar_addr + 8u * s; };
  const auto vfull = [&](int s) { return bar_addr + 8u * (kStages + s); };
  const auto kempty = [&](int s) { return bar_addr + 8u * (2 * kStages + s); };
  const auto vempty = [&](int s) { return bar_addr + 8u * (3 * kStages + s); };
  const auto qfull = [&](int b) { return bar_addr + 8u * (4 * kStages + b); };
  const auto qempty = [&](int b) { return bar_addr + 8u * (4 * kStages + kQBufs + b); };
  volatile int* slot = reinterpret_cast<volatile int*>(smem + (bar_addr - base) + 8 * (4 * kStages + 2 * kQBufs));

  const int tid = threadIdx.x;
  const int wg = tid >> 7;  // 0: producer; 1..kWG: consumers
  const int rank = static_cast<int>(blockIdx.x) % kCluster;  // in the cluster
  // Work tiles w < total (one, w = 0, when not persistent); w >= total ends the block.
  const int m_blocks = (N + kBlockM - 1) / kBlockM;
  const int total = kPersist ? (m_blocks + kCluster - 1) / kCluster * BH : 1;
  // K/V tiles of a work tile. Causal: keys beyond the tile's last row are masked for every
  // row: those tiles are neither loaded nor computed.
  const auto kv_tiles = [&](int q0) { return ((kCausal ? min(N, q0 + kBlockM) : N) + kBlockN - 1) / kBlockN; };

  if (tid == 0) {
    for (int s = 0; s < kStages; ++s) {
      mbar_init(kfull(s), kKvTma ? 1 : 128);
      mbar_init(vfull(s), kKvTma ? 1 : 128);
      mbar_init(kempty(s), 4 * kWG * kCluster);  // CLUSTER > 1: every block's consumers
      mbar_init(vempty(s), 4 * kWG * kCluster);
    }
    for (int b = 0; b < kQBufs; ++b) {
      mbar_init(qfull(b), kQoTma ? 1 : kPersist ? 129 : 128);
      mbar_init(qempty(b), 4 * kWG);
    }
    mbar_fence_init();
  }
  // The only block-wide barrier: the mbarriers are ready. CLUSTER > 1: cluster-wide, since
  // the blocks arrive on each other's barriers and load into each other's stages.
  if constexpr (kMulticast) {
    cluster_arrive();
    cluster_wait();
  } else {
    __syncthreads();
  }

  // Phase bookkeeping. K/V tiles are numbered t = 0, 1, ... over all of the block's work
  // tiles, in order. Tile t lives in stage s = t % kStages, round r = t / kStages; each
  // barrier of stage s completes exactly one phase per round, so phase r of kfull[s] /
  // vfull[s] = "K / V of tile t landed" and phase r of kempty[s] / vempty[s] = "every
  // consumer warp is done with K / V of tile t". Invariant (K; V alike): kfull[s] completes
  // phase r only after kempty[s] completed phase r - 1 (the producer waits for it before
  // loading K of tile t), and kempty[s] completes phase r only after every consumer warp
  // waited for phase r of kfull[s] (each warp arrives once per tile, in tile order, after
  // that wait). So a consumer waiting for tile t finds kfull[s] with r or r + 1 completed
  // phases, and the producer loading tile t finds kempty[s] with r - 1 or r: never two apart,
  // and parity r & 1 (resp. (r - 1) & 1) names the phase unambiguously. The same holds for the
  // k-th work tile's Q buffer b = k % kQBufs, use u = k / kQBufs: qfull[b] phase u = "slot[b]
  // names the tile and its Q landed" (or slot[b] >= total: no more tiles), qempty[b] phase u
  // = "every consumer warp finished the tile's epilogue" (so slot[b] is free too).
  if (wg == 0) {
    // ---------------- Producer warpgroup: copies only.
    setmaxnreg_dec<kProducerRegs>();
    const int t_in = tid;  // 0..127
    int t = 0;             // K/V tiles issued so far
    if (t_in == 0) {
      if constexpr (kKvTma) {
        tma_prefetch_map(&K_map);
        tma_prefetch_map(&V_map);
      }
      if constexpr (kQoTma) tma_prefetch_map(&Q_map);
    }
#pragma unroll 1
    for (int k = 0; kPersist || k < 1; ++k) {
      const int qb = k % kQBufs;
      int w = 0;
      if constexpr (kPersist) {
        // Buffer qb held work tile k - kQBufs: wait until its epilogue is done.
        if (k >= kQBufs) mbar_wait(qempty(qb), (k / kQBufs - 1) & 1);
        // Thread 0 takes the next work tile and publishes it: to the producer warps through
        // the named barrier, to the consumers through its own qfull arrival (release; with
        // QO_TMA the one that also announces Q's bytes, below). CLUSTER > 1: cluster c of C
        // takes tiles c, c + C, c + 2 C, ... (its blocks must agree, and without the causal
        // mask the tiles are equal: a counter would balance them no better).
        if (t_in == 0) {
          slot[qb] = kMulticast ? static_cast<int>((blockIdx.x + k * gridDim.x) / kCluster)
                                : atomicAdd(tile_counter, 1);
          if constexpr (!kQoTma) mbar_arrive(qfull(qb));
        }
        named_bar_sync<kProducerBar, 128>();
        w = slot[qb];
        if (w >= total) {
          // "No more tiles", no copies: the other 128 arrivals, or QO_TMA's one.
          if (!kQoTma || t_in == 0) mbar_arrive(qfull(qb));
          break;
        }
      }
      const WorkTile tile = work_tile(w, m_blocks, N, BH, rank);
      const long long head = tile.bh * N * kD;
      if constexpr (kQoTma) {
        if (t_in == 0) {
          mbar_arrive_expect_tx(qfull(qb), kWG * Tiles::kQBytes);
#pragma unroll 1
          for (int c = 0; c < kWG; ++c)
            load_tile_tma<64>(sQ_addr + (qb * kWG + c) * Tiles::kQBytes, &Q_map, tile.q0 + 64 * c,
                              static_cast<int>(tile.bh), qfull(qb));
        }
      } else {
#pragma unroll 1
        for (int c = 0; c < kWG; ++c) {
          const int row0 = tile.q0 + 64 * c;
          load_tile_async<64>(sQ_addr + (qb * kWG + c) * Tiles::kQBytes,
                              Q + head + static_cast<long long>(row0) * kD, N - row0, t_in);
        }
        cp_async_mbar_arrive_noinc(qfull(qb));
      }
      // KV_TMA: thread 0 alone loads K and V (and counts t); the rest of its warp waits for
      // it after the loop, so that the warp meets the next work tile's named barrier converged.
      const int n_tiles = !kKvTma || t_in == 0 ? kv_tiles(tile.q0) : 0;
#pragma unroll 1
      for (int j = 0; j < n_tiles; ++j, ++t) {
        const int s = t % kStages;
        const int r = t / kStages;
        // Stage s held tile t - kStages: wait until every consumer warp released its K, then
        // its V (phase r - 1 of kempty[s], vempty[s]; round 0 needs no wait).
        const int kv0 = j * kBlockN;
        const long long off = head + static_cast<long long>(kv0) * kD;
        if (r > 0) mbar_wait(kempty(s), (r - 1) & 1);
        if constexpr (kKvTma) {
          // The arrival announces the bytes, the copies complete them: phase r of kfull[s]
          // (vfull[s]) ends when the whole K (V) tile has landed.
          mbar_arrive_expect_tx(kfull(s), Tiles::kKVBytes);
          load_kv_tma(sK_addr + s * Tiles::kKVBytes, &K_map, kv0, static_cast<int>(tile.bh), kfull(s), rank);
        } else {
          load_tile_async<kBlockN>(sK_addr + s * Tiles::kKVBytes, K + off, N - kv0, t_in);
          cp_async_mbar_arrive_noinc(kfull(s));  // completes when this thread's K copies land
        }
        if (r > 0) mbar_wait(vempty(s), (r - 1) & 1);
        if constexpr (kKvTma) {
          mbar_arrive_expect_tx(vfull(s), Tiles::kKVBytes);
          load_kv_tma(sV_addr + s * Tiles::kKVBytes, &V_map, kv0, static_cast<int>(tile.bh), vfull(s), rank);
        } else {
          load_tile_async<kBlockN>(sV_addr + s * Tiles::kKVBytes, V + off, N - kv0, t_in);
          cp_async_mbar_arrive_noinc(vfull(s));
        }
      }
      if constexpr (kKvTma) __syncwarp();
    }
    cp_async_wait<0>();  // leave no copy in flight behind an exited thread
    if constexpr (kMulticast) {
      // The other blocks' consumers release this block's stages too: it must not exit before
      // their last arrivals have landed. Thread 0, the one that loaded (and counted t), waits
      // for the last phase of each stage (every earlier one it waited for before a load).
#pragma unroll 1
      for (int tt = max(0, t - kStages); tt < t; ++tt) {
        mbar_wait(kempty(tt % kStages), (tt / kStages) & 1);
        mbar_wait(vempty(tt % kStages), (tt / kStages) & 1);
      }
    }
    if constexpr (kPersist && !kMulticast) {
      // Every block took its end marker from tile_counter[0] before counting itself out
      // here, so the last one can reset both for the next launch.
      if (t_in == 0) {
        __threadfence();
        if (atomicAdd(tile_counter + 1, 1) == static_cast<int>(gridDim.x) - 1) {
          tile_counter[0] = 0;
          tile_counter[1] = 0;
        }
      }
    }
    return;
  }

  // ---------------- Consumer warpgroups.
  setmaxnreg_inc<kConsumerRegs>();
  const int cw = wg - 1;            // consumer index: query rows 64 cw .. 64 cw + 63 of the tile
  const int wtid = tid & 127;       // thread in the warpgroup
  const int warp_in_wg = wtid >> 5; // rows 16 warp_in_wg .. +15 of the warpgroup
  const int lane = tid & 31;
  const float scale_log2 = softmax_scale * kLog2e;
  const int row_in_wg = warp_in_wg * 16 + (lane >> 2);

  // Ping-pong turns (PINGPONG = 1): consumer c issues a GEMM batch only inside a turn, turns
  // alternate 0, 1, 0, 1, ... Turn k of consumer c = bar.sync on its own id (its 128 threads)
  // + the 128 arrivals of the other consumer's turn end. Both consumers run exactly 2 turns
  // per K/V tile (S, P V; empty turns on causally skipped tiles), or with PV_LAG one turn per
  // K/V tile and one more per work tile (see the loop), consumer 1 opens with an
  // arrival on consumer 0's barrier (consumer 0 goes first), and consumer 0 takes one more
  // turn when the block has no more work (it absorbs consumer 1's last arrival), so every
  // arrival is matched by one sync and no barrier is left half-complete.
  const auto turn_begin = [&]() {
    if constexpr (kPingpong) {
      if (cw == 0) named_bar_sync<kTurnBar, 256>();
      else named_bar_sync<kTurnBar + 1, 256>();
    }
  };
  const auto turn_end = [&]() {
    if constexpr (kPingpong) {
      if (cw == 0) named_bar_arrive<kTurnBar + 1, 256>();
      else named_bar_arrive<kTurnBar, 256>();
    }
  };
  if constexpr (kPingpong) {
    if (cw == 1) named_bar_arrive<kTurnBar, 256>();
  }

  float o_acc[Tiles::kORegs];
  float s[Tiles::kSRegs];
  unsigned pa[Tiles::kPSteps][4];
  float alpha[2];

  // This warpgroup's Q tile in buffer b.
  const auto sQ_of = [&](int b) { return sQ_addr + (b * kWG + cw) * Tiles::kQBytes; };
  // Work tile k: waits for its slot and Q (qfull: see the invariant above) and returns its
  // index (>= total: no more work). Every wait on a "full" barrier that cp.async completes
  // is followed by fence.proxy.async: the cp.async writes are generic-proxy writes and wgmma
  // reads shared memory through the async proxy (cheap; see the notes).
  const auto acquire = [&](int k) {
    mbar_wait(qfull(k % kQBufs), (k / kQBufs) & 1);
    if constexpr (!kQoTma) fence_proxy_async_shared();
    return kPersist ? slot[k % kQBufs] : 0;
  };
  // K/V tiles are numbered over all of the block's work tiles: tile tt lives in stage
  // tt % kStages, round tt / kStages.
  const auto stage_of = [](int tt) { return tt % kStages; };
  const auto parity_of = [](int tt) { return static_cast<unsigned>((tt / kStages) & 1); };
  // Waits until K (pv false) or V (pv true) of tile tt has landed. TMA writes through the
  // async proxy, as wgmma reads: no proxy fence after its waits.
  const auto wait_full = [&](int tt, bool pv) {
    mbar_wait(pv ? vfull(stage_of(tt)) : kfull(stage_of(tt)), parity_of(tt));
    if constexpr (!kKvTma) fence_proxy_async_shared();
  };
  // S = Q K_tt^T (Q at sQ_wg) and O += P V_tt, issued (asynchronous) once their tile landed.
  const auto issue_s = [&](int tt, unsigned sQ_wg) {
    wg_issue_s<kD, kBlockN>(s, sQ_wg, sK_addr + stage_of(tt) * Tiles::kKVBytes);
  };
  const auto issue_pv = [&](int tt) {
    wg_issue_pv<kD, kBlockN>(o_acc, pa, sV_addr + stage_of(tt) * Tiles::kKVBytes);
  };
  // Releases K (pv false) or V (pv true) of tile tt: one arrival per warp, after its wgmma
  // reading it completed. A causally skipped tile is waited for and released all the same:
  // each warp arrives once per phase, in order (see the invariant above). CLUSTER > 1: on
  // the stage's barrier in every block of the cluster, whose producers each loaded a share.
  const auto release = [&](int tt, bool pv) {
    __syncwarp();
    if (lane == 0) {
      const unsigned bar = pv ? vempty(stage_of(tt)) : kempty(stage_of(tt));
      if constexpr (kMulticast) {
#pragma unroll
        for (int r = 0; r < kCluster; ++r) mbar_arrive_cluster(bar, r);
      } else {
        mbar_arrive(bar);
      }
    }
  };
  const auto skip = [&](int tt, bool pv) {
    wait_full(tt, pv);
    release(tt, pv);
  };

  // The epilogue's second half: a work tile's O, staged in its Q buffer qb, to global memory
  // (16-byte stores, attention/wgmma_rows.cuh, or QO_TMA: the TMA unit reads the staged
  // rows through the async proxy, so every lane fences its writes first); then the buffer
  // and its slot are free (qempty).
  const auto store_o = [&](int qb, long long bh, int q0_wg) {
    if constexpr (kQoTma) {
      fence_proxy_async_shared();
      __syncwarp();
      if (lane == 0) store_rows_tma(sQ_of(qb), &O_map, warp_in_wg, q0_wg + 16 * warp_in_wg, static_cast<int>(bh));
    } else {
      wg_store_o<kD>(smem + (sQ_of(qb) - base), O + bh * N * kD, N, q0_wg, warp_in_wg, lane);
      __syncwarp();
    }
    if (lane == 0) mbar_arrive(qempty(qb));  // this warp is done with the buffer and slot
  };
  // EPI_OVERLAP: the work tile whose O is staged but not yet stored (qb < 0: none).
  int prev_qb = -1;
  long long prev_bh = 0;
  int prev_q0_wg = 0;

  int t = 0;  // K/V tiles consumed so far (all work tiles)
  int w = acquire(0);
#pragma unroll 1
  for (int k = 0; w < total; ++k) {
    const int qb = k % kQBufs;
    const WorkTile tile = work_tile(w, m_blocks, N, BH, rank);
    const int n_tiles = kv_tiles(tile.q0);
    const int q0_wg = tile.q0 + 64 * cw;
    // This warpgroup's last row sees keys <= q0_wg + 63: later tiles are skipped (causal).
    // Tile 0 is never skipped.
    const int wg_tiles = kCausal ? min(n_tiles, (q0_wg + 64 + kBlockN - 1) / kBlockN) : n_tiles;
    const unsigned sQ_wg = sQ_of(qb);

    // Rows of this thread: r = 0 -> 16 warp_in_wg + lane/4, r = 1 -> the same + 8.
    float row_max[2] = {attn_neg_inf(), attn_neg_inf()};  // raw (unscaled) running max
    float row_sum[2] = {0.0f, 0.0f};  // this thread's partial sums; quad-reduced at the end
    // The tile's first S is in flight: EPI_OVERLAP stores the previous work tile's O now.
    // O's registers are free until they are zeroed here.
    const auto start_o = [&]() {
      if (kEpiOverlap && prev_qb >= 0) store_o(prev_qb, prev_bh, prev_q0_wg);
#pragma unroll
      for (int i = 0; i < Tiles::kORegs; ++i) o_acc[i] = 0.0f;
    };
    // Masks and the online softmax of tile j (attention/wgmma_rows.cuh); alpha rescales O.
    const auto softmax = [&](int j) {
      wg_online_softmax<kBlockN, kCausal>(s, row_max, row_sum, alpha, j * kBlockN, N, q0_wg, row_in_wg, lane,
                                          scale_log2);
    };
    // Q K^T of tile tt alone in a turn, once K landed.
    const auto s_turn = [&](int tt) {
      wait_full(tt, false);
      turn_begin();
      issue_s(tt, sQ_wg);
      turn_end();
    };
    // P V of tile tt alone in a turn, once V landed, and waited for.
    const auto pv_turn = [&](int tt) {
      wait_full(tt, true);
      turn_begin();
      issue_pv(tt);
      turn_end();
      wgmma_wait<0>();
      fence_regs(o_acc);
    };
    if constexpr (!kPvLag) {
      // Per K/V tile: S, its softmax, then P V, each GEMM waited for before the next step.
#pragma unroll 1
      for (int j = 0; j < n_tiles; ++j) {
        if (j < wg_tiles) {
          s_turn(t + j);
          if (j == 0) start_o();
          wgmma_wait<0>();
          fence_regs(s);
          softmax(j);
          wg_rescale_o<kD>(o_acc, alpha);
          wg_to_p<kBlockN>(s, pa);
          pv_turn(t + j);  // this warp's wgmma reading tile t + j's stage are complete
          release(t + j, false);
          release(t + j, true);
        } else {
          // Causal: tile t + j is above every row of this warpgroup; its two turns are taken
          // empty (keeps the turn count equal).
          skip(t + j, false);
          skip(t + j, true);
          turn_begin();
          turn_end();
          turn_begin();
          turn_end();
        }
      }
    } else {
      // PV_LAG (FlashAttention-3's intra-warpgroup overlap): S of tile j and P V of tile
      // j - 1 are issued back to back, in one turn, and tile j's softmax runs while P V
      // computes; O is rescaled and P of tile j formed once P V of tile j - 1 is done (P is
      // its register operand). K is released once S has read it, V after P V. One turn per
      // K/V tile and one more for the last P V. No wgmma is issued under a condition inside
      // the loop: ptxas serializes every wgmma of the kernel otherwise.
      s_turn(t);
      start_o();
      wgmma_wait<0>();
      fence_regs(s);
      release(t, false);
      softmax(0);
      wg_to_p<kBlockN>(s, pa);
#pragma unroll 1
      for (int j = 1; j < wg_tiles; ++j) {
        wait_full(t + j, false);
        wait_full(t + j - 1, true);
        turn_begin();
        issue_s(t + j, sQ_wg);
        issue_pv(t + j - 1);
        turn_end();
        wgmma_wait<1>();  // S is done; P V may still run
        fence_regs(s);
        release(t + j, false);
        softmax(j);
        wgmma_wait<0>();
        fence_regs(o_acc);
        release(t + j - 1, true);
        wg_rescale_o<kD>(o_acc, alpha);
        wg_to_p<kBlockN>(s, pa);
      }
      pv_turn(t + wg_tiles - 1);
      release(t + wg_tiles - 1, true);
      // Causal: tiles above every row of this warpgroup, one empty turn each.
#pragma unroll 1
      for (int j = wg_tiles; j < n_tiles; ++j) {
        skip(t + j, false);
        skip(t + j, true);
        turn_begin();
        turn_end();
      }
    }
    t += n_tiles;

    // ---- Epilogue, staged through this warpgroup's Q tile: every wgmma reading it has
    // completed, and the producer rewrites it only after qempty.
    wg_stage_o_lse<kD>(o_acc, row_max, row_sum, smem + (sQ_wg - base), LSE + tile.bh * N, N, q0_wg, warp_in_wg,
                       lane, softmax_scale);
    if constexpr (kEpiOverlap) {
      prev_qb = qb;
      prev_bh = tile.bh;
      prev_q0_wg = q0_wg;
    } else {
      store_o(qb, tile.bh, q0_wg);
    }
    w = kPersist ? acquire(k + 1) : total;
  }
  if (kEpiOverlap && prev_qb >= 0) store_o(prev_qb, prev_bh, prev_q0_wg);
  if constexpr (kPingpong) {
    if (cw == 0) named_bar_sync<kTurnBar, 256>();  // consumer 1's last turn end
  }
}
