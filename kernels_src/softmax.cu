// softmax.cu: row-wise softmax y[r, :] = exp(x[r, :] - max) / sum(exp(x[r, :] - max)).
// Accumulation in float32 for every element type. Entry points (configs/softmax.yaml):
//
//  fused, row on chip (x read once, y written once):
//    softmax_warp      one warp per row, WARPS rows per block, COLS chunks per lane
//    softmax_block     one block of THREADS per row, COLS chunks per thread; with
//                      CLUSTER > 1 a thread-block cluster of CLUSTER blocks shares a row,
//                      each block holding a slice and exchanging (max, sum) through
//                      distributed shared memory (rows up to 16*1024*COLS chunks;
//                      clusters above 8 blocks are non-portable: H100 offers 16)
//    softmax_split     the same split over SPLIT ordinary blocks that exchange (max, sum)
//                      through global memory: no cluster, so every SM takes them
//    softmax_split_smem  split with the slice in shared memory (one bulk copy): three
//                      64 KB slices an SM where registers hold two
//  fused, row streamed (x read twice, y written once), any N:
//    softmax_online    one block per row, running max & sum, then a normalising pass
//    softmax_online_cluster  the same over a slice per block, CLUSTER blocks per row
//                      sharing (max, sum) through distributed shared memory: CLUSTER
//                      times the blocks in flight, and a slice small enough that the
//                      normalising pass re-reads it from L2
//  unfused, eager style (4 kernels, intermediates in device memory):
//    softmax_row_max   rowmax[r] = max x[r, :]                     (float32, [M])
//    softmax_sub_exp   e[r, :] = exp(x[r, :] - rowmax[r])          (T, [M, N])
//    softmax_row_sum   rowsum[r] = sum e[r, :]                     (float32, [M])
//    softmax_div       y[r, :] = e[r, :] / rowsum[r]
//
// Special values follow IEEE arithmetic as PyTorch does: -inf entries give 0 as long as
// the row has a finite entry; a row that is all -inf (or holds +inf or NaN) gives NaN.
#include "kpg_rows.cuh"
#include "mbarrier_bulk.cuh"

// (max, sum of exp(x - max)) pairs: the online-softmax state.
__device__ __forceinline__ float2 combine_max_sum(float2 a, float2 b) {
  const float m = fmaxf(a.x, b.x);
  if (m == kpg_neg_inf()) return make_float2(m, 0.0f);  // both empty: avoid -inf - -inf
  return make_float2(m, a.y * kpg_exp(a.x - m) + b.y * kpg_exp(b.x - m));
}

// The (max, sum) pairs of a cluster's blocks folded into the row's pair, returned to every
// thread of every block. `slots` is this block's shared float2[2]: [0] publishes `mine` to the
// cluster, [1] holds the folded pair. Lane b of warp 0 reads block b's pair (distributed
// shared memory) and the warp folds them by shuffles: one remote-load latency, where reading
// the CLUSTER pairs one after another cost CLUSTER of them (each behind the last one's fold),
// with every block of the cluster idle meanwhile.
template <int Cluster>
__device__ __forceinline__ float2 cluster_max_sum(float2 mine, float2* slots) {
  static_assert(Cluster >= 1 && Cluster <= 32, "one lane per block of the cluster");
  if (threadIdx.x == 0) slots[0] = mine;
  cluster_arrive();
  cluster_wait();
  if (threadIdx.x < 32) {
    float2 p = threadIdx.x < Cluster ? load_cluster_float2(slots, static_cast<int>(threadIdx.x))
                                     : make_float2(kpg_neg_inf(), 0.0f);
#pragma unroll
    for (int offset = 16; offset > 0; offset >>= 1) {
      if (offset >= Cluster) continue;  // lanes >= Cluster hold the empty pair
      p = combine_max_sum(p, make_float2(__shfl_xor_sync(0xffffffffu, p.x, offset),
                                         __shfl_xor_sync(0xffffffffu, p.y, offset)));
    }
    if (threadIdx.x == 0) slots[1] = p;
  }
  cluster_arrive();  // done reading the others' slots; wait again before exiting
  __syncthreads();   // slots[1] is written
  return slots[1];
}

// The (max, sum) pairs of a row's slices, each held by one block, folded into the row's
// pair. An exchange has fold(mine) -> row pair (every thread of the block calls it) and
// release(), called after the block's stores.
struct NoExchange {  // one block (or warp) holds the whole row
  __device__ float2 fold(float2 mine) const { return mine; }
  __device__ void release() const {}
};

template <int Cluster>
struct ClusterExchange {  // the slices' blocks form a cluster: distributed shared memory
  float2* slots;          // two float2 of shared memory
  __device__ float2 fold(float2 mine) const { return cluster_max_sum<Cluster>(mine, slots); }
  __device__ void release() const { cluster_wait(); }  // no block leaves while its slot is read
};

// The slices' blocks are ordinary blocks that meet in global memory. Why: a cluster's
// blocks must share one GPC, and H100's GPCs do not all hold a multiple of 16 SMs, so
// clusters of 16 leave 20 of 132 SMs idle for the whole kernel (scripts/studies/
// cluster_packing.cu: a 128 MB copy in clusters of 16 runs at 88 % of one without).
// Without progress guarantees, a block must never wait for a block that may not start, so
// blocks take their (row, slice) from a ticket counter in the order they start: a row's
// slices hold consecutive tickets, all lower tickets are held by blocks that are running
// or done, and while fewer than SPLIT blocks are resident an SM is free for the next
// ticket. So the oldest unfinished row always completes, given that SPLIT blocks fit on
// the device at once. State (scratch, zeroed at allocation, left zeroed): count[row]
// counts publications, then departures (the last one resets it); count[M] is the ticket.
// Only thread 0 publishes and waits; the rest of the block waits at a barrier (then warp
// 0 reads the pairs), so the chain it waits for is kept short: publish with an acq_rel
// atomic (no full fence), skip the spin when this block arrived last, depart after the
// stores.
template <int Split>
struct GridExchange {
  int* count;
  float2* pairs;   // [row * Split + slice]
  float2* shared;  // one float2 of shared memory
  long long row;
  int slice;

  __device__ float2 fold(float2 mine) const {
    int* arrivals = count + row;
    if (threadIdx.x == 0) {
      __stcg(pairs + row * Split + slice, mine);
      if (atomic_add_acq_rel_gpu(arrivals, 1) < Split - 1)  // the pair is visible first
        while (load_acquire_gpu(arrivals) < Split) __nanosleep(32);
    }
    __syncthreads();
    if (threadIdx.x < 32) {
      float2 p = threadIdx.x < Split ? __ldcg(pairs + row * Split + threadIdx.x)
                                     : make_float2(kpg_neg_inf(), 0.0f);
#pragma unroll
      for (int offset = 16; offset > 0; offset >>= 1) {
        if (offset >= Split) continue;  // lanes >= Split hold the empty pair
        p = combine_max_sum(p, make_float2(__shfl_xor_sync(0xffffffffu, p.x, offset),
                                           __shfl_xor_sync(0xffffffffu, p.y, offset)));
      }
      if (threadIdx.x == 0) *shared = p;
    }
    __syncthreads();
    return *shared;
  }
  // Every pair was read before the barrier that ended fold(): depart; the last resets.
  __device__ void release() const {
    if (threadIdx.x == 0 && atomicAdd(count + row, 1) == 2 * Split - 1) atomicExch(count + row, 0);
  }
};

// Fused softmax of one row (or of slice `slice` of Split slices of it) held in registers.
// Returns through y; `scratch` is 32 floats of shared memory (unused when Tpr == 32).
template <int Cols, int Tpr, int Split, class Exchange>
__device__ __forceinline__ void softmax_row_in_registers(const kpg_t* x, kpg_t* y, int n,
                                                         int slice, int t, float* scratch,
                                                         const Exchange& exchange) {
  const RowWindow w = row_window(x, n);
  const int per_slice = ceil_div(w.chunks, Split);
  const int c_begin = slice * per_slice;
  const int c_end = min(w.chunks, c_begin + per_slice);
  // Cols comes from a config formula that assumes a 16-byte aligned buffer; if a row
  // ever needs more chunks than the registers hold, fail loudly with NaN (never wrong
  // numbers, never out-of-bounds access).
  const bool fits = per_slice <= Cols * Tpr;

  float v[Cols][kVec];
  load_fragment<Cols, Tpr>(x, w, c_begin, c_end, t, v, kpg_neg_inf());

  float m = kpg_neg_inf();
#pragma unroll
  for (int i = 0; i < Cols; ++i)
#pragma unroll
    for (int j = 0; j < kVec; ++j) m = fmaxf(m, v[i][j]);
  m = group_max<Tpr>(m, scratch);

  // A slice with no finite entry (all -inf, or empty) exponentiates against 0 so that
  // it holds zeros and sums to 0 instead of NaN; its max stays -inf. An all -inf row
  // then ends with sum 0 and scale inf (or NaN in a cluster): NaN out, as in PyTorch.
  const float m_shift = m == kpg_neg_inf() ? 0.0f : m;
  float s = 0.0f;
#pragma unroll
  for (int i = 0; i < Cols; ++i)
#pragma unroll
    for (int j = 0; j < kVec; ++j) {
      v[i][j] = kpg_exp(v[i][j] - m_shift);  // padding: exp(-inf) = 0
      s += v[i][j];
    }
  s = group_sum<Tpr>(s, scratch);

  float scale = 1.0f / s;
  if constexpr (Split > 1) {
    const float2 row = exchange.fold(make_float2(m, s));
    // All -inf row: row.x = -inf and row.y = 0, so the scale is NaN, as in one block.
    scale = kpg_exp(m - row.x) / row.y;
  }
  if (!fits) scale = kpg_nan();

#pragma unroll
  for (int i = 0; i < Cols; ++i)
#pragma unroll
    for (int j = 0; j < kVec; ++j) v[i][j] *= scale;
  store_fragment<Cols, Tpr>(y, w, c_begin, c_end, t, v);
  exchange.release();
}

// ---------------------------------------------------------------- softmax_warp
namespace softmax_warp_cfg {
constexpr int kWarps = KPG_DEFAULT(WARPS, 4);
constexpr int kCols = KPG_DEFAULT(COLS, 8);  // chunks per lane: ceil_div(max chunks, 32)
}  // namespace softmax_warp_cfg

extern "C" __global__ void __launch_bounds__(softmax_warp_cfg::kWarps * 32, 1)
    softmax_warp(const kpg_t* __restrict__ x, kpg_t* __restrict__ y, int M, int N) {
  using namespace softmax_warp_cfg;
  const long long row = static_cast<long long>(blockIdx.x) * kWarps + (threadIdx.x >> 5);
  if (row >= M) return;  // whole warps leave together: warp shuffles stay full
  const long long offset = row * N;
  softmax_row_in_registers<kCols, 32, 1>(x + offset, y + offset, N, 0, threadIdx.x & 31,
                                         nullptr, NoExchange{});
}

// ---------------------------------------------------------------- softmax_block
namespace softmax_block_cfg {
constexpr int kThreads = KPG_DEFAULT(THREADS, 256);
constexpr int kCols = KPG_DEFAULT(COLS, 4);        // chunks per thread and slice
constexpr int kCluster = KPG_DEFAULT(CLUSTER, 1);  // blocks per row (grid = M * CLUSTER)
constexpr int kMinBlocks = KPG_DEFAULT(MIN_BLOCKS, 1);  // blocks per SM the registers must allow
// Above 8 the cluster size is non-portable: kpg's runtime opts the kernel in, and a device
// that cannot schedule it fails the candidate as a resource problem (tuner/launch_plan.hpp).
static_assert(kCluster >= 1 && kCluster <= 16, "CLUSTER must be 1..16 (16: non-portable, H100)");
}  // namespace softmax_block_cfg

#if defined(CLUSTER) && CLUSTER > 1
#define KPG_SOFTMAX_CLUSTER_DIMS __cluster_dims__(CLUSTER, 1, 1)
#else
#define KPG_SOFTMAX_CLUSTER_DIMS
#endif

extern "C" __global__ void KPG_SOFTMAX_CLUSTER_DIMS __launch_bounds__(softmax_block_cfg::kThreads, softmax_block_cfg::kMinBlocks)
    softmax_block(const kpg_t* __restrict__ x, kpg_t* __restrict__ y, int M, int N) {
  using namespace softmax_block_cfg;
  __shared__ float scratch[32];
  __shared__ float2 cluster_slots[2];
  // A cluster's blocks are consecutive in x; grid = M * CLUSTER, so row < M always.
  const long long row = blockIdx.x / kCluster;
  const int slice = blockIdx.x % kCluster;
  const long long offset = row * N;
  softmax_row_in_registers<kCols, kThreads, kCluster>(x + offset, y + offset, N, slice,
                                                      threadIdx.x, scratch,
                                                      ClusterExchange<kCluster>{cluster_slots});
}

// ---------------------------------------------------------------- softmax_split
namespace softmax_split_cfg {
constexpr int kThreads = KPG_DEFAULT(THREADS, 256);
constexpr int kCols = KPG_DEFAULT(COLS, 4);           // chunks per thread and slice
constexpr int kSplit = KPG_DEFAULT(SPLIT, 16);        // blocks per row (grid = M * SPLIT)
constexpr int kMinBlocks = KPG_DEFAULT(MIN_BLOCKS, 1);
static_assert(kSplit >= 2 && kSplit <= 32, "SPLIT must be 2..32 (one lane per slice in the fold)");
}  // namespace softmax_split_cfg

// count: int[M + 1] and pairs: float2[M * SPLIT], scratch (see GridExchange).
extern "C" __global__ void __launch_bounds__(softmax_split_cfg::kThreads, softmax_split_cfg::kMinBlocks)
    softmax_split(const kpg_t* __restrict__ x, kpg_t* __restrict__ y, int M, int N, int* count,
                  float2* pairs) {
  using namespace softmax_split_cfg;
  __shared__ float scratch[32];
  __shared__ float2 folded;
  __shared__ int ticket;
  if (threadIdx.x == 0) {
    ticket = atomicAdd(count + M, 1);
    // The last ticket: every other block has taken its own, so the counter can be reset.
    if (ticket == static_cast<int>(gridDim.x) - 1) atomicExch(count + M, 0);
  }
  __syncthreads();
  const long long row = ticket / kSplit;
  const int slice = ticket % kSplit;
  const long long offset = row * N;
  softmax_row_in_registers<kCols, kThreads, kSplit>(
      x + offset, y + offset, N, slice, threadIdx.x, scratch,
      GridExchange<kSplit>{count, pairs, &folded, row, slice});
}

// ---------------------------------------------------------------- softmax_split_smem
// `split` with the slice in shared memory instead of registers: one bulk copy (the TMA
// unit) loads it, so a block needs few registers and three 64 KB slices fit an SM where
// the register file holds two. A block waits for the slowest of its row's slices while
// holding its own; a third slice an SM keeps loads in flight meanwhile (128 x 262,144 f32
// on the H100: 2796 GB/s against split's 2717, same call). Persistent blocks (grid = SMs x
// BPS) take tickets until they run out, as split's blocks do (see GridExchange).
// A ring of several slices a block, publishing each as it landed, lost to one slice a
// block at every depth (docs/notes/memory_bound_kernels.md, "Long rows ...", item 6).
namespace softmax_split_smem_cfg {
constexpr int kThreads = KPG_DEFAULT(THREADS, 512);
constexpr int kSplit = KPG_DEFAULT(SPLIT, 16);                 // slices per row
constexpr int kSliceChunks = KPG_DEFAULT(SLICE_CHUNKS, 4096);  // ceil_div(N / VEC, SPLIT)
constexpr int kBlocksPerSm = KPG_DEFAULT(BPS, 3);
static_assert(kSplit >= 2 && kSplit <= 32, "SPLIT must be 2..32 (one lane per slice in the fold)");
}  // namespace softmax_split_smem_cfg

// (max, sum of exp(x - max)) of the first `n_chunks` chunks of a slice buffer, to every thread.
template <int Threads>
__device__ __forceinline__ float2 slice_max_sum(const uint4* buf, int n_chunks, float* scratch) {
  float m = kpg_neg_inf();
  for (int c = threadIdx.x; c < n_chunks; c += Threads) {
    const uint4 r = buf[c];
#pragma unroll
    for (int j = 0; j < kVec; ++j) m = fmaxf(m, raw_element(r, j));
  }
  m = block_max<Threads>(m, scratch);
  const float m_shift = m == kpg_neg_inf() ? 0.0f : m;  // as in softmax_row_in_registers
  float s = 0.0f;
  for (int c = threadIdx.x; c < n_chunks; c += Threads) {
    const uint4 r = buf[c];
#pragma unroll
    for (int j = 0; j < kVec; ++j) s += kpg_exp(raw_element(r, j) - m_shift);
  }
  return make_float2(m, block_sum<Threads>(s, scratch));
}

// count: int[M + 1] and pairs: float2[M * SPLIT], scratch (see GridExchange). Needs
// N % VEC == 0 (16-byte aligned rows, whole-chunk slices for the bulk copy) and
// ceil_div(N / VEC, SPLIT) <= SLICE_CHUNKS; otherwise y is filled with NaN.
extern "C" __global__ void __launch_bounds__(softmax_split_smem_cfg::kThreads, softmax_split_smem_cfg::kBlocksPerSm)
    softmax_split_smem(const kpg_t* __restrict__ x, kpg_t* __restrict__ y, int M, int N,
                       int* count, float2* pairs) {
  using namespace softmax_split_smem_cfg;
  extern __shared__ __align__(128) uint4 slice[];  // kSliceChunks chunks
  __shared__ __align__(8) unsigned long long landed;  // mbarrier of the bulk copy
  __shared__ float scratch[32];
  __shared__ float2 folded;
  __shared__ int ticket;

  const int chunks = N / kVec;
  const int per_slice = ceil_div(chunks, kSplit);
  if (N % kVec != 0 || per_slice > kSliceChunks) {  // config and shape disagree: fail loudly
    const long long n_total = static_cast<long long>(M) * N;
    for (long long i = blockIdx.x * static_cast<long long>(kThreads) + threadIdx.x; i < n_total;
         i += static_cast<long long>(gridDim.x) * kThreads)
      y[i] = from_float(kpg_nan());
    return;
  }
  const int total = M * kSplit;
  const auto first_chunk = [&](int t) { return t % kSplit * per_slice; };
  const auto slice_chunks = [&](int t) {
    return max(0, min(chunks, first_chunk(t) + per_slice) - first_chunk(t));
  };
  const unsigned bar = static_cast<unsigned>(__cvta_generic_to_shared(&landed));
  if (threadIdx.x == 0) {
    mbar_init(bar, 1);
    mbar_fence_init();
  }

  // Each block takes tickets until one is past the end, then leaves: exactly one such
  // ticket a block, so the last of all (total + gridDim.x - 1) resets the counter.
  int next = threadIdx.x == 0 ? atomicAdd(count + M, 1) : 0;
  for (unsigned phase = 0;; phase ^= 1) {
    if (threadIdx.x == 0) {
      ticket = next;
      if (next >= total) {
        if (next == total + static_cast<int>(gridDim.x) - 1) atomicExch(count + M, 0);
      } else {
        const unsigned bytes = static_cast<unsigned>(slice_chunks(next)) * kVecBytes;
        mbar_arrive_expect_tx(bar, bytes);
        if (bytes > 0)
          bulk_copy_to_shared(static_cast<unsigned>(__cvta_generic_to_shared(slice)),
                              x + static_cast<long long>(next / kSplit) * N + first_chunk(next) * kVec,
                              bytes, bar);
      }
    }
    __syncthreads();  // the ticket (and, on the first pass, the mbarrier) is visible
    const int t = ticket;
    if (t >= total) return;
    const long long row = t / kSplit;
    const int n_chunks = slice_chunks(t);
    mbar_wait(bar, phase);  // one copy a pass: the phase flips every pass

    const GridExchange<kSplit> exchange{count, pairs, &folded, row, t % kSplit};
    const float2 row_pair = exchange.fold(slice_max_sum<kThreads>(slice, n_chunks, scratch));
    // The row is complete: the next ticket waits for nothing before it is published, so it
    // can be taken now, its round trip hidden behind the stores.
    if (threadIdx.x == 0) next = atomicAdd(count + M, 1);
    const float inv_sum = 1.0f / row_pair.y;  // all -inf row: exp(NaN) * inf = NaN, as torch
    kpg_t* out = y + row * N + first_chunk(t) * kVec;
    for (int c = threadIdx.x; c < n_chunks; c += kThreads) {
      const uint4 r = slice[c];
      float v[kVec];
#pragma unroll
      for (int j = 0; j < kVec; ++j) v[j] = kpg_exp(raw_element(r, j) - row_pair.x) * inv_sum;
      store_vec(out + c * kVec, v);
    }
    exchange.release();
    __syncthreads();  // every thread is done with the slice and the ticket
    if (threadIdx.x == 0) fence_proxy_async_shared();  // those reads before the next copy's writes
  }
}

// ---------------------------------------------------------------- softmax_online
namespace softmax_online_cfg {
constexpr int kThreads = KPG_DEFAULT(THREADS, 512);
constexpr int kUnroll = KPG_DEFAULT(UNROLL, 2);  // chunks in flight per thread
}  // namespace softmax_online_cfg

template <int Threads>
__device__ __forceinline__ float2 block_max_sum(float2 v, float2* scratch) {
#pragma unroll
  for (int offset = 16; offset > 0; offset >>= 1) {
    const float2 other = make_float2(__shfl_xor_sync(0xffffffffu, v.x, offset),
                                     __shfl_xor_sync(0xffffffffu, v.y, offset));
    v = combine_max_sum(v, other);
  }
  if (Threads == 32) return v;
  const int lane = threadIdx.x & 31;
  __syncthreads();
  if (lane == 0) scratch[threadIdx.x >> 5] = v;
  __syncthreads();
  v = lane < Threads / 32 ? scratch[lane] : make_float2(kpg_neg_inf(), 0.0f);
#pragma unroll
  for (int offset = 16; offset > 0; offset >>= 1) {
    const float2 other = make_float2(__shfl_xor_sync(0xffffffffu, v.x, offset),
                                     __shfl_xor_sync(0xffffffffu, v.y, offset));
    v = combine_max_sum(v, other);
  }
  return v;
}

extern "C" __global__ void __launch_bounds__(softmax_online_cfg::kThreads, 1)
    softmax_online(const kpg_t* __restrict__ x, kpg_t* __restrict__ y, int M, int N) {
  using namespace softmax_online_cfg;
  __shared__ float2 scratch[32];
  const long long offset = static_cast<long long>(blockIdx.x) * N;
  const kpg_t* xr = x + offset;
  kpg_t* yr = y + offset;
  const RowWindow w = row_window(xr, N);
  constexpr int kStep = kThreads * kUnroll;

  // Pass 1: running max and sum, kUnroll chunks loaded before any is used.
  float2 state = make_float2(kpg_neg_inf(), 0.0f);
  for (int base = 0; base < w.chunks; base += kStep) {
    float v[kUnroll][kVec];
#pragma unroll
    for (int u = 0; u < kUnroll; ++u)
      load_chunk(xr, (base + u * kThreads + threadIdx.x) * kVec - w.mis, N, v[u], kpg_neg_inf());
    float m = state.x;
#pragma unroll
    for (int u = 0; u < kUnroll; ++u)
#pragma unroll
      for (int j = 0; j < kVec; ++j) m = fmaxf(m, v[u][j]);
    if (m == kpg_neg_inf()) continue;  // nothing finite yet
    float s = state.y * kpg_exp(state.x - m);
#pragma unroll
    for (int u = 0; u < kUnroll; ++u)
#pragma unroll
      for (int j = 0; j < kVec; ++j) s += kpg_exp(v[u][j] - m);
    state = make_float2(m, s);
  }
  state = block_max_sum<kThreads>(state, scratch);
  const float row_max = state.x;
  const float inv_sum = 1.0f / state.y;  // all -inf row: exp(NaN) * inf = NaN below

  // Pass 2, last chunks first: they are the ones most likely still in L2.
  const int last_base = (w.chunks - 1) / kStep * kStep;
  for (int base = last_base; base >= 0; base -= kStep) {
    float v[kUnroll][kVec];
#pragma unroll
    for (int u = 0; u < kUnroll; ++u)
      load_chunk(xr, (base + u * kThreads + threadIdx.x) * kVec - w.mis, N, v[u], 0.0f);
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
#pragma unroll
      for (int j = 0; j < kVec; ++j) v[u][j] = kpg_exp(v[u][j] - row_max) * inv_sum;
      store_chunk(yr, (base + u * kThreads + threadIdx.x) * kVec - w.mis, N, v[u]);
    }
  }
}

// ---------------------------------------------------------------- softmax_online_cluster
// Long rows with few of them (128 x 262,144: 128 rows for 132 SMs) leave softmax_online
// one block per row and a whole-row re-read that falls out of L2. Here a row is split
// over a cluster of CLUSTER blocks (grid = M * CLUSTER): each block streams its slice
// with a running (max, sum), the blocks fold their pairs through distributed shared
// memory, and each block normalises its own slice (last chunks first), which it read
// moments ago: CLUSTER x the blocks in flight, and an L2-sized working set
// (slices of all resident blocks) for the second read. Loads are raw-first
// (kpg_rows.cuh), so 16-bit types also keep UNROLL chunks in flight.
extern "C" __global__ void KPG_SOFTMAX_CLUSTER_DIMS __launch_bounds__(softmax_online_cfg::kThreads, 1)
    softmax_online_cluster(const kpg_t* __restrict__ x, kpg_t* __restrict__ y, int M, int N) {
  using namespace softmax_online_cfg;
  constexpr int kCluster = softmax_block_cfg::kCluster;
  constexpr int kStep = kThreads * kUnroll;
  __shared__ float2 scratch[32];
  __shared__ float2 cluster_slots[2];
  const long long offset = static_cast<long long>(blockIdx.x / kCluster) * N;
  const int slice = blockIdx.x % kCluster;
  const kpg_t* xr = x + offset;
  kpg_t* yr = y + offset;
  const RowWindow w = row_window(xr, N);
  const int per_slice = ceil_div(w.chunks, kCluster);
  const int c_begin = min(w.chunks, slice * per_slice);
  const int c_end = min(w.chunks, c_begin + per_slice);

  // Pass 1 over the slice: running max and sum, kUnroll chunks in flight per thread.
  float2 state = make_float2(kpg_neg_inf(), 0.0f);
  for (int base = c_begin; base < c_end; base += kStep) {
    uint4 raw[kUnroll];
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      const int c = base + u * kThreads + threadIdx.x;
      raw[u] = load_chunk_raw<false>(xr, c * kVec - w.mis, c < c_end ? N : 0);
    }
    float v[kUnroll][kVec];
    float m = state.x;
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      const int c = base + u * kThreads + threadIdx.x;
      const int k0 = c * kVec - w.mis;
      const bool full = c < c_end && chunk_in_row(k0, N);
#pragma unroll
      for (int j = 0; j < kVec; ++j) {
        v[u][j] = (full || (c < c_end && in_row(k0, j, N))) ? raw_element(raw[u], j)
                                                             : kpg_neg_inf();
        m = fmaxf(m, v[u][j]);
      }
    }
    if (m == kpg_neg_inf()) continue;  // nothing finite yet
    float s = state.y * kpg_exp(state.x - m);
#pragma unroll
    for (int u = 0; u < kUnroll; ++u)
#pragma unroll
      for (int j = 0; j < kVec; ++j) s += kpg_exp(v[u][j] - m);
    state = make_float2(m, s);
  }
  state = block_max_sum<kThreads>(state, scratch);

  const float2 row = cluster_max_sum<kCluster>(state, cluster_slots);
  const float row_max = row.x;
  const float inv_sum = 1.0f / row.y;  // all -inf row: exp(NaN) * inf = NaN below

  // Pass 2 over the slice, last chunks first: they are the likeliest L2 hits.
  if (c_end > c_begin) {
    const int last_base = c_begin + (c_end - 1 - c_begin) / kStep * kStep;
    for (int base = last_base; base >= c_begin; base -= kStep) {
      uint4 raw[kUnroll];
#pragma unroll
      for (int u = 0; u < kUnroll; ++u) {
        const int c = base + u * kThreads + threadIdx.x;
        raw[u] = load_chunk_raw<false>(xr, c * kVec - w.mis, c < c_end ? N : 0);
      }
#pragma unroll
      for (int u = 0; u < kUnroll; ++u) {
        const int c = base + u * kThreads + threadIdx.x;
        if (c >= c_end) continue;
        float v[kVec];
#pragma unroll
        for (int j = 0; j < kVec; ++j) v[j] = kpg_exp(raw_element(raw[u], j) - row_max) * inv_sum;
        store_chunk(yr, c * kVec - w.mis, N, v);
      }
    }
  }
  cluster_wait();  // no block leaves while its slot may still be read
}

// ---------------------------------------------------------------- unfused (eager)
// Reductions: one block of RTHREADS per row. Elementwise: grid (M, chunk blocks), one
// 16-byte chunk per thread, as an eager framework's vectorised elementwise kernel.
namespace softmax_unfused_cfg {
constexpr int kReduceThreads = KPG_DEFAULT(RTHREADS, 512);
constexpr int kElementThreads = KPG_DEFAULT(ETHREADS, 256);
}  // namespace softmax_unfused_cfg

extern "C" __global__ void __launch_bounds__(softmax_unfused_cfg::kReduceThreads, 1)
    softmax_row_max(const kpg_t* __restrict__ x, float* __restrict__ rowmax, int M, int N) {
  using namespace softmax_unfused_cfg;
  __shared__ float scratch[32];
  const kpg_t* xr = x + static_cast<long long>(blockIdx.x) * N;
  float m = block_row_reduce<kReduceThreads>(
      xr, N, kpg_neg_inf(), kpg_neg_inf(), [](float v) { return v; },
      [](float a, float b) { return fmaxf(a, b); });
  m = block_max<kReduceThreads>(m, scratch);
  if (threadIdx.x == 0) rowmax[blockIdx.x] = m;
}

extern "C" __global__ void __launch_bounds__(softmax_unfused_cfg::kElementThreads, 1)
    softmax_sub_exp(const kpg_t* __restrict__ x, const float* __restrict__ rowmax,
                    kpg_t* __restrict__ e, int M, int N) {
  const float m = rowmax[blockIdx.x];
  rowwise_chunk_map<softmax_unfused_cfg::kElementThreads>(x, e, N, [m](float(&v)[kVec], int) {
#pragma unroll
    for (int j = 0; j < kVec; ++j) v[j] = kpg_exp(v[j] - m);
  });
}

extern "C" __global__ void __launch_bounds__(softmax_unfused_cfg::kReduceThreads, 1)
    softmax_row_sum(const kpg_t* __restrict__ e, float* __restrict__ rowsum, int M, int N) {
  using namespace softmax_unfused_cfg;
  __shared__ float scratch[32];
  const kpg_t* er = e + static_cast<long long>(blockIdx.x) * N;
  float s = block_row_reduce<kReduceThreads>(
      er, N, 0.0f, 0.0f, [](float v) { return v; }, [](float a, float b) { return a + b; });
  s = block_sum<kReduceThreads>(s, scratch);
  if (threadIdx.x == 0) rowsum[blockIdx.x] = s;
}

extern "C" __global__ void __launch_bounds__(softmax_unfused_cfg::kElementThreads, 1)
    softmax_div(const kpg_t* __restrict__ e, const float* __restrict__ rowsum,
                kpg_t* __restrict__ y, int M, int N) {
  const float s = rowsum[blockIdx.x];
  rowwise_chunk_map<softmax_unfused_cfg::kElementThreads>(e, y, N, [s](float(&v)[kVec], int) {
#pragma unroll
    for (int j = 0; j < kVec; ++j) v[j] = v[j] / s;
  });
}
