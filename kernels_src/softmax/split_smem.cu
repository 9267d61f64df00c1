// softmax/split_smem.cu, space split_smem of configs/softmax.yaml: long rows with 16-byte
// aligned starts (N % VEC == 0), split over blocks as in split.cu.
//
//   softmax_split_smem   persistent blocks (SM_COUNT x BPS), a slice each in shared memory
#include "mbarrier_bulk.cuh"
#include "softmax/common.cuh"

// `split` with the slice in shared memory instead of registers: one bulk copy (the TMA
// unit) loads it, so a block needs few registers and three 64 KB slices fit an SM where
// the register file holds two. A block waits for the slowest of its row's slices while
// holding its own; a third slice an SM keeps loads in flight meanwhile, which is why this
// space ranks above split at the aligned long rows. Persistent blocks (grid = SMs x BPS)
// take tickets until they run out, as split's blocks do (see GridExchange).
// One slice a block, not a ring of several: a ticket taken when a ring buffer frees has
// its slice land behind the SM's other loads, so a slow SM delays every row it holds a
// slice of (docs/design/softmax.md, "Tried and rejected").
namespace softmax_split_smem_cfg {
KPG_PARAM(kThreads, THREADS);
KPG_PARAM(kSplit, SPLIT);                 // slices per row
KPG_PARAM(kSliceChunks, SLICE_CHUNKS);    // ceil_div(N / VEC, SPLIT)
KPG_PARAM(kBlocksPerSm, BPS);
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
