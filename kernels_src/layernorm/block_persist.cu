// layernorm/block_persist.cu, space block_persist of configs/layernorm.yaml: LayerNorm
// y[r, :] = (x[r, :] - mean_r) * rstd_r * gamma + beta with the fewest instructions an
// element (gamma/beta in registers for all the block's rows, x through a cp.async ring of
// STAGES rows in shared memory, N at compile time as ROW_N, N % VEC == 0 only):
//   layernorm_block_persist   min(M, SM_COUNT x BPS) blocks of THREADS, each walks rows
#include "cp_async.cuh"
#include "kpg_rows.cuh"

// Why: block_lean (f16 4096 x 4096) is instruction-bound in Nsight Compute (issue slots
// busier than device memory), not bandwidth-bound. Per row, each of its threads repeats
// work that does not depend on the row: row window and alignment, bounds checks per chunk,
// gamma/beta loads and their conversions, two full-precision divisions by N, and three
// barriers. Here:
//  * persistent blocks: grid = min(M, SM_COUNT x BPS), each block walks rows
//    blockIdx.x, + gridDim.x, ...; gamma and beta are loaded once per thread and kept in
//    registers as floats (no loads, no conversions per row);
//  * x arrives through a cp.async pipeline of STAGES row buffers in shared memory: the
//    rows STAGES-1 ahead are in flight while this one is reduced and written, without
//    registers to hold them, so few resident blocks still keep enough bytes in flight.
//    Each thread copies and reads back only its own chunks, so the buffers need no
//    barrier (cp.async.wait_group makes a thread's own copies visible to it);
//  * N is a compile-time constant (ROW_N, with N % VEC == 0: every row starts 16-byte
//    aligned and splits into whole chunks): 1/N is a constant, no row window, no bounds
//    check per chunk; only a thread's last chunk may lie past the row, when
//    N / VEC is not a multiple of THREADS, and it is masked once per chunk;
//  * one barrier per block reduction: the mean and the squares alternate two buffers of
//    partials (a buffer is next written only after the other reduction's barrier, which
//    every reader of it has passed), and each thread folds the per-warp partials itself.
// Numerics as layernorm_rows_raw_first: v = x - x[r, 0] (exact for values within a
// factor of two of x[r, 0]), two-pass variance over v - mean_shifted, float32 statistics;
// y = (v - m) * rstd * gamma + beta in every dtype (no 16-bit shortcut).
// Per element (f16): cvt, sub, add | sub, fma | mul, fma, half a pack: 7.5 instructions
// (block_lean: 12.5, plus its chunk checks and gamma/beta loads).
namespace layernorm_persist_cfg {
KPG_PARAM(kThreads, THREADS);
KPG_PARAM(kN, ROW_N);                 // the row length N, at compile time
KPG_PARAM(kStages, STAGES);           // row buffers in shared memory
KPG_PARAM(kBlocksPerSm, BPS);         // resident blocks the grid assumes
KPG_PARAM(kColsGiven, COLS);          // the config's chunks a thread, checked below
constexpr int kChunks = kN / kVec;                     // 16-byte chunks a row
constexpr int kCols = ceil_div(kChunks, kThreads);     // chunks a thread
constexpr bool kEven = kChunks % kThreads == 0;        // every thread's chunks all in the row
constexpr unsigned kStageBytes = static_cast<unsigned>(kChunks) * kVecBytes;
constexpr float kInvN = 1.0f / static_cast<float>(kN);
static_assert(kN % kVec == 0, "ROW_N must be a multiple of 16 / sizeof(element)");
static_assert(kThreads % 32 == 0 && kThreads <= 1024, "THREADS: a multiple of 32, at most 1024");
static_assert(kStages >= 2 && kStages <= 4, "STAGES: 2 to 4");
static_assert(kColsGiven == kCols, "COLS must be ceil_div(ROW_N / VEC, THREADS)");
}  // namespace layernorm_persist_cfg

// Sum over a block of Threads threads (a multiple of 32), the same value in every thread,
// with at most one barrier. `partials` (Threads / 32 floats, shared) may be written again
// only after every thread has passed a later barrier.
template <int Threads>
__device__ __forceinline__ float persist_block_sum(float v, float* partials) {
  constexpr int kWarps = Threads / 32;
  static_assert(Threads % 32 == 0 && kWarps >= 1 && kWarps <= 32, "Threads: 32 to 1024");
  v = warp_sum(v);  // every lane of the warp holds the warp's sum
  if constexpr (kWarps == 1) {
    return v;
  } else {
    if ((threadIdx.x & 31) == 0) partials[threadIdx.x >> 5] = v;
    __syncthreads();
    if constexpr (kWarps <= 8) {
      // Every thread reads all partials (broadcast) and adds them in the same order.
      float s = partials[0];
#pragma unroll
      for (int w = 1; w < kWarps; ++w) s += partials[w];
      return s;
    } else if constexpr ((kWarps & (kWarps - 1)) == 0) {
      // Each group of kWarps lanes holds all partials; the butterfly leaves the same sum
      // in every lane (each step adds the same two values on either side).
      float s = partials[threadIdx.x & (kWarps - 1)];
#pragma unroll
      for (int offset = kWarps / 2; offset > 0; offset >>= 1)
        s += __shfl_xor_sync(0xffffffffu, s, offset);
      return s;
    } else {
      return warp_sum((threadIdx.x & 31) < kWarps ? partials[threadIdx.x & 31] : 0.0f);
    }
  }
}

extern "C" __global__ void __launch_bounds__(layernorm_persist_cfg::kThreads,
                                             layernorm_persist_cfg::kBlocksPerSm)
    layernorm_block_persist(const kpg_t* __restrict__ x, const kpg_t* __restrict__ gamma,
                            const kpg_t* __restrict__ beta, kpg_t* __restrict__ y,
                            float* __restrict__ mean, float* __restrict__ rstd, float eps,
                            int M, int N) {
  using namespace layernorm_persist_cfg;
  extern __shared__ uint4 stages[];  // kStages rows of kChunks chunks
  __shared__ __align__(16) float partials[2][32];
  // Compiled for another row length (a config passing a wrong ROW_N): loud NaN, never an
  // access out of bounds.
  if (N != kN) {
    const long long total = static_cast<long long>(M) * N;
    for (long long i = static_cast<long long>(blockIdx.x) * kThreads + threadIdx.x; i < total;
         i += static_cast<long long>(gridDim.x) * kThreads)
      y[i] = from_float(kpg_nan());
    return;
  }
  const int t = threadIdx.x;
  // Chunk i of this thread is chunk t + i * kThreads of the row; all but the last are
  // in the row by the choice of kCols.
  const bool last_in = kEven || t + (kCols - 1) * kThreads < kChunks;
  auto in_row = [&](int i) { return i < kCols - 1 || last_in; };

  // gamma and beta, once for every row this block handles.
  uint4 g_raw[kCols], b_raw[kCols];
#pragma unroll
  for (int i = 0; i < kCols; ++i) {
    const int k = (t + i * kThreads) * kVec;
    g_raw[i] = in_row(i) ? load_raw_vec<false>(gamma + k) : make_uint4(0u, 0u, 0u, 0u);
    b_raw[i] = in_row(i) ? load_raw_vec<false>(beta + k) : make_uint4(0u, 0u, 0u, 0u);
  }
  // As floats (loop-invariant: ptxas keeps them, or under a tight register cap
  // converts them again each row rather than spill; the tuner's BPS picks the cap).
  float g[kCols][kVec], b[kCols][kVec];
#pragma unroll
  for (int i = 0; i < kCols; ++i) {
    raw_to_float(g_raw[i], g[i]);
    raw_to_float(b_raw[i], b[i]);
  }

  // Row indices fit in int: M x N < 2^31 (kpg refuses larger buffers) and N >= kVec, so
  // M + kStages x gridDim.x stays far below 2^31. Addresses are formed in 64 bits.
  const int stride = gridDim.x;
  const unsigned my_smem =
      static_cast<unsigned>(__cvta_generic_to_shared(stages)) + static_cast<unsigned>(t) * kVecBytes;
  // Starts the copy of row r (when r < M) into buffer `stage`; one commit group per call,
  // empty or not, so that wait_group counts rows.
  auto issue = [&](int r, int stage) {
    if (r < M) {
      const kpg_t* src = x + (static_cast<long long>(r) * kN + t * kVec);
      const unsigned dst = my_smem + static_cast<unsigned>(stage) * kStageBytes;
#pragma unroll
      for (int i = 0; i < kCols; ++i)
        if (in_row(i)) cp_async_16(dst + i * kThreads * kVecBytes, src + i * kThreads * kVec);
    }
    cp_async_commit();
  };
  // x[r, 0] of the rows in flight, raw: converted only when its row comes up, so the
  // load's latency hides behind the rows before it.
  auto first = [&](int r) { return r < M ? x[static_cast<long long>(r) * kN] : from_float(0.0f); };
  kpg_t shift_q[kStages - 1];
  int row = blockIdx.x;
#pragma unroll
  for (int s = 0; s < kStages - 1; ++s) {
    issue(row + s * stride, s);
    shift_q[s] = first(row + s * stride);
  }

  int stage = 0;  // buffer of `row`
  for (; row < M; row += stride) {
    // The row kStages - 1 ahead goes into the buffer this thread read last iteration.
    const int ahead = row + (kStages - 1) * stride;
    issue(ahead, stage == 0 ? kStages - 1 : stage - 1);
    const float shift = to_float(shift_q[0]);
#pragma unroll
    for (int s = 0; s < kStages - 2; ++s) shift_q[s] = shift_q[s + 1];
    shift_q[kStages - 2] = first(ahead);
    cp_async_wait<kStages - 1>();  // this row's group has landed

    const uint4* buf = stages + stage * kChunks + t;
    float v[kCols][kVec];  // x - shift, then x - mean
    // Sums per chunk, so that a chunk past the row (only a thread's last one) is left
    // out with one select instead of a mask per element.
    auto accumulate = [&](float acc, float part, int i) {
      if (!in_row(i)) return acc;  // a chunk past the row: not read, zeros
      return i == 0 ? part : acc + part;
    };
    float sum = 0.0f;
#pragma unroll
    for (int i = 0; i < kCols; ++i) {
      // A chunk past the row lies past the last buffer's end too: never read it.
      const uint4 raw = in_row(i) ? buf[i * kThreads] : make_uint4(0u, 0u, 0u, 0u);
      float part = 0.0f;
#pragma unroll
      for (int j = 0; j < kVec; ++j) {
        v[i][j] = raw_element(raw, j) - shift;
        part = j == 0 ? v[i][j] : part + v[i][j];
      }
      sum = accumulate(sum, part, i);
    }
    const float m = persist_block_sum<kThreads>(sum, partials[0]) * kInvN;

    float squares = 0.0f;
#pragma unroll
    for (int i = 0; i < kCols; ++i) {
      float part = 0.0f;
#pragma unroll
      for (int j = 0; j < kVec; ++j) {
        v[i][j] -= m;
        part = j == 0 ? v[i][j] * v[i][j] : fmaf(v[i][j], v[i][j], part);
      }
      squares = accumulate(squares, part, i);
    }
    const float r = rsqrtf(persist_block_sum<kThreads>(squares, partials[1]) * kInvN + eps);
    if (t == 0) {
      if (mean != nullptr) mean[row] = shift + m;
      if (rstd != nullptr) rstd[row] = r;
    }

    kpg_t* yrow = y + (static_cast<long long>(row) * kN + t * kVec);
#pragma unroll
    for (int i = 0; i < kCols; ++i) {
      if (!in_row(i)) break;
      float out[kVec];
#pragma unroll
      for (int j = 0; j < kVec; ++j) out[j] = fmaf(v[i][j] * r, g[i][j], b[i][j]);
      store_raw_vec(yrow + i * kThreads * kVec, pack_vec(out));
    }
    stage = stage == kStages - 1 ? 0 : stage + 1;
  }
}
