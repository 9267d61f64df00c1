// kpg_rows.cuh: row-wise access for the memory-bound kernels (softmax, layer norm, RMS
// norm), for any row length N and any row alignment.
//
// A row is seen through a window that starts at the 16-byte boundary at or before the
// row's first element; `mis` elements of the window lie before the row. The window is cut
// into chunks of kVec elements (16 bytes): chunk c holds row elements
// k = c*kVec - mis + j, j < kVec. Every chunk that lies wholly inside the row is one
// aligned 16-byte access; only the (at most two) chunks that straddle the row's ends go
// element by element, touching row elements only. So rows of odd length (781, 50257),
// whose starts drift off 16-byte boundaries, still move through 16-byte accesses.
#pragma once
#include "kpg_common.cuh"

struct RowWindow {
  int mis;     // window elements before the row start (0 when the row is 16-byte aligned)
  int n;       // row length
  int chunks;  // ceil_div(mis + n, kVec)
};

__device__ __forceinline__ RowWindow row_window(const kpg_t* row, int n) {
  RowWindow w;
  w.mis = static_cast<int>((reinterpret_cast<unsigned long long>(row) & (kVecBytes - 1)) /
                           sizeof(kpg_t));
  w.n = n;
  w.chunks = ceil_div(w.mis + n, kVec);
  return w;
}

// Upper bound on the chunk count of any row of a [M, n] buffer whose base is 16-byte
// aligned (cuMemAlloc gives 256): rows start aligned when n is a multiple of kVec.
// The configs' Cols defines use the same formula.
__host__ __device__ constexpr int max_row_chunks(int n) {
  return n % kVec == 0 ? n / kVec : ceil_div(n + kVec - 1, kVec);
}

// Loads chunk c of a row (any c: chunks outside the row read as `fill`).
// `p` is the row start; k0 = c*kVec - mis is the row index of the chunk's first element.
// Only a chunk that lies wholly in the row and is 16-byte aligned is one vector access.
__device__ __forceinline__ void load_chunk(const kpg_t* p, int k0, int n, float (&v)[kVec],
                                           float fill) {
  if (k0 >= 0 && k0 + kVec <= n && is_vec_aligned(p + k0)) return load_vec(p + k0, v);
#pragma unroll
  for (int j = 0; j < kVec; ++j) {
    const int k = k0 + j;
    v[j] = (k >= 0 && k < n) ? to_float(p[k]) : fill;
  }
}

__device__ __forceinline__ void store_chunk(kpg_t* p, int k0, int n, const float (&v)[kVec]) {
  if (k0 >= 0 && k0 + kVec <= n && is_vec_aligned(p + k0)) return store_vec(p + k0, v);
#pragma unroll
  for (int j = 0; j < kVec; ++j) {
    const int k = k0 + j;
    if (k >= 0 && k < n) p[k] = from_float(v[j]);
  }
}

__device__ __forceinline__ bool in_row(int k0, int j, int n) {
  return k0 + j >= 0 && k0 + j < n;
}

// ---------------------------------------------------------------- rows in registers
// In a kernel whose warps each take Rows rows (Warps warps a block): the first row of this
// thread's warp.
template <int Warps, int Rows = 1>
__device__ __forceinline__ long long warp_first_row() {
  return (static_cast<long long>(blockIdx.x) * Warps + (threadIdx.x >> 5)) * Rows;
}

// A group of Tpr threads holds chunks [c_begin, c_end) of one row: thread t owns chunks
// c_begin + t + i*Tpr, i < Cols (strided so that each access instruction of the group
// covers consecutive 16-byte chunks: coalesced).
__device__ __forceinline__ int frag_k0(const RowWindow& w, int c_begin, int t, int i, int Tpr) {
  return (c_begin + t + i * Tpr) * kVec - w.mis;
}

template <int Cols, int Tpr>
__device__ __forceinline__ void load_fragment(const kpg_t* row, const RowWindow& w, int c_begin,
                                              int c_end, int t, float (&v)[Cols][kVec],
                                              float fill) {
#pragma unroll
  for (int i = 0; i < Cols; ++i) {
    const int c = c_begin + t + i * Tpr;
    const int n_visible = c < c_end ? w.n : 0;  // chunks past the slice read as fill
    load_chunk(row, frag_k0(w, c_begin, t, i, Tpr), n_visible, v[i], fill);
  }
}

template <int Cols, int Tpr>
__device__ __forceinline__ void store_fragment(kpg_t* row, const RowWindow& w, int c_begin,
                                               int c_end, int t, const float (&v)[Cols][kVec]) {
#pragma unroll
  for (int i = 0; i < Cols; ++i) {
    const int c = c_begin + t + i * Tpr;
    if (c < c_end) store_chunk(row, frag_k0(w, c_begin, t, i, Tpr), w.n, v[i]);
  }
}

// Reductions over the Tpr threads that share a row: one warp, or the whole block.
template <int Tpr>
__device__ __forceinline__ float group_sum(float v, float* scratch) {
  return Tpr == 32 ? warp_sum(v) : block_sum<Tpr>(v, scratch);
}

template <int Tpr>
__device__ __forceinline__ float group_max(float v, float* scratch) {
  return Tpr == 32 ? warp_max(v) : block_max<Tpr>(v, scratch);
}

// ---------------------------------------------------------------- raw-first row loads
// Why: load_chunk converts each 16-byte chunk to float inside its aligned/edge branch, so
// for 16-bit types the conversion (a use of the load) sits before the next chunk's
// branch and every chunk waits a full memory round trip before the next load issues
// (checked in the PTX: ld.v4 -> cvt -> bra, per chunk). For f32 the conversion is a copy
// and the loads overlap, which is why the f32 rows ran near the copy ceiling and the f16
// rows did not. The loaders below keep chunks as raw 16-byte words until every load of a
// fragment has issued, and convert afterwards. Stream = true marks x as read-once
// (ld.global.nc.L1::no_allocate) and y as write-once (st.global.cs), keeping L1 for the
// per-column operands (gamma, beta) that every row re-reads.

// Element j of a raw chunk as float (j is a compile-time constant after unrolling).
__device__ __forceinline__ float raw_element(const uint4& r, int j) {
  const unsigned word = j < kVec / 4 ? r.x : j < kVec / 2 ? r.y : j < 3 * kVec / 4 ? r.z : r.w;
#if defined(KPG_DTYPE_F16)
  return __half2float(__ushort_as_half(static_cast<unsigned short>(word >> (16 * (j & 1)))));
#elif defined(KPG_DTYPE_BF16)
  // A conversion, not bit masking: with `word & 0xffff0000u` / `word << 16` the compiler
  // kept every converted element live across passes (lean LayerNorm bf16: 255 registers
  // at 12 chunks a thread, 125 with this).
  return __bfloat162float(
      __ushort_as_bfloat16(static_cast<unsigned short>(word >> (16 * (j & 1)))));
#else
  return __uint_as_float(word);
#endif
}

__device__ __forceinline__ void raw_to_float(const uint4& r, float (&v)[kVec]) {
#pragma unroll
  for (int j = 0; j < kVec; ++j) v[j] = raw_element(r, j);
}

template <bool Stream>
__device__ __forceinline__ uint4 load_raw_vec(const kpg_t* p) {
  uint4 r;
  if constexpr (Stream) {
    asm("ld.global.nc.L1::no_allocate.v4.u32 {%0, %1, %2, %3}, [%4];"
        : "=r"(r.x), "=r"(r.y), "=r"(r.z), "=r"(r.w)
        : "l"(p));
  } else {
    r = __ldg(reinterpret_cast<const uint4*>(p));
  }
  return r;
}

// Chunk at row index k0 as raw bits; elements outside [0, n) hold `fill` (the bits of one
// element; zero bits read as 0.0 in every type). LayerNorm fills with its shift so that
// padding contributes exactly 0 to the shifted sum without a mask per element.
template <bool Stream>
__device__ __forceinline__ uint4 load_chunk_raw(const kpg_t* p, int k0, int n,
                                                unsigned fill = 0u) {
  if (k0 >= 0 && k0 + kVec <= n && is_vec_aligned(p + k0)) return load_raw_vec<Stream>(p + k0);
  unsigned bits[kVec];
#pragma unroll
  for (int j = 0; j < kVec; ++j) {
    const int k = k0 + j;
    bits[j] = (k >= 0 && k < n) ? kpg_bits(p[k]) : fill;
  }
  unsigned word[4];
#pragma unroll
  for (int q = 0; q < 4; ++q) {
    if constexpr (kVec == 8) word[q] = bits[2 * q] | (bits[2 * q + 1] << 16);
    else word[q] = bits[q];
  }
  return make_uint4(word[0], word[1], word[2], word[3]);
}

template <int Cols, int Tpr, bool Stream>
__device__ __forceinline__ void load_fragment_raw(const kpg_t* row, const RowWindow& w,
                                                  int c_begin, int c_end, int t,
                                                  uint4 (&raw)[Cols], unsigned fill = 0u) {
#pragma unroll
  for (int i = 0; i < Cols; ++i) {
    const int c = c_begin + t + i * Tpr;
    const int n_visible = c < c_end ? w.n : 0;  // chunks past the slice read as fill
    raw[i] = load_chunk_raw<Stream>(row, frag_k0(w, c_begin, t, i, Tpr), n_visible, fill);
  }
}

template <bool Stream>
__device__ __forceinline__ void store_chunk_hinted(kpg_t* p, int k0, int n,
                                                   const float (&v)[kVec]) {
  if (Stream && k0 >= 0 && k0 + kVec <= n && is_vec_aligned(p + k0)) {
    __stcs(reinterpret_cast<uint4*>(p + k0), pack_vec(v));
  } else {
    store_chunk(p, k0, n, v);
  }
}

// How many elements of the chunk at row index k0 lie in the row [0, n) (0..kVec).
__device__ __forceinline__ int chunk_count(int k0, int n) {
  return max(0, min(k0 + kVec, n) - max(k0, 0));
}
