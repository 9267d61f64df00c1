// softmax/common.cuh: what the fused softmax spaces share (configs/softmax.yaml):
// the (max, sum) pair of the online softmax, the exchanges that fold the pairs of a row
// split over several blocks, and the row-in-registers body of warp_per_row, block_per_row
// and split. Accumulation in float32 for every element type.
//
// Special values follow IEEE arithmetic as PyTorch does: -inf entries give 0 as long as
// the row has a finite entry; a row that is all -inf (or holds +inf or NaN) gives NaN.
#pragma once
#include "kpg_rows.cuh"

// (max, sum of exp(x - max)) pairs: the online-softmax state.
__device__ __forceinline__ float2 combine_max_sum(float2 a, float2 b) {
  const float m = fmaxf(a.x, b.x);
  if (m == kpg_neg_inf()) return make_float2(m, 0.0f);  // both empty: avoid -inf - -inf
  return make_float2(m, a.y * kpg_exp(a.x - m) + b.y * kpg_exp(b.x - m));
}

// combine_max_sum as the op of warp_reduce / block_reduce; the identity is the empty pair.
struct MaxSumOp {
  __device__ __forceinline__ float2 operator()(float2 a, float2 b) const {
    return combine_max_sum(a, b);
  }
  static __device__ __forceinline__ float2 identity() { return make_float2(kpg_neg_inf(), 0.0f); }
};

// The pairs of a row's Slices slices folded into the row's pair, in every lane of warp 0
// (call from warp 0 only): lane b reads pair b with pair_of(b).
template <int Slices, class PairOf>
__device__ __forceinline__ float2 fold_slice_pairs(PairOf pair_of) {
  static_assert(Slices >= 1 && Slices <= 32, "one lane per slice");
  const float2 p = threadIdx.x < Slices ? pair_of(threadIdx.x) : MaxSumOp::identity();
  return warp_reduce<Slices>(p, MaxSumOp{});  // lanes >= Slices hold the empty pair
}

// The (max, sum) pairs of a row's slices, each held by one block, folded into the row's
// pair. An exchange has fold(mine) -> row pair (every thread of the block calls it) and
// release(), called after the block's stores.
struct NoExchange {  // one block (or warp) holds the whole row
  __device__ float2 fold(float2 mine) const { return mine; }
  __device__ void release() const {}
};

// The slices' blocks are ordinary blocks that meet in global memory. Why: a cluster's
// blocks must share one GPC, and H100's GPCs do not all hold a multiple of 16 SMs, so
// clusters of 16 leave 20 of 132 SMs idle for the whole kernel, and even a plain copy in
// such clusters loses bandwidth in proportion (docs/design/softmax.md).
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
      const float2 p =
          fold_slice_pairs<Split>([&](unsigned b) { return __ldcg(pairs + row * Split + b); });
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
