// kpg_eager.cuh: the bodies of the eager-style kernels that the unfused variants launch
// (softmax, LayerNorm, RMSNorm), each a reasonable kernel on its own: one block per row for
// a reduction, a grid of (rows, chunk blocks) for an elementwise step, 16-byte accesses
// through kpg_rows.cuh, every result in device memory.
#pragma once
#include "kpg_rows.cuh"

// The map that leaves a value as it is (a reduction of x itself, a result stored as is).
struct Unchanged {
  __device__ __forceinline__ float operator()(float v) const { return v; }
};

// The row of this block in a grid of one block per row of n elements.
__device__ __forceinline__ const kpg_t* block_row(const kpg_t* x, int n) {
  return x + static_cast<long long>(blockIdx.x) * n;
}

// Row reduction by one block of Threads threads per row (grid = rows), streaming (nothing
// kept on chip): thread 0 writes finish(Op over map(row[:])) to out[blockIdx.x], for
// row = block_row(x, n). `fill` (what chunk elements outside the row read as) must map to
// Op's identity.
template <int Threads, class Op, class Map = Unchanged, class Finish = Unchanged>
__device__ __forceinline__ void reduce_row(const kpg_t* row, float* out, int n, float fill,
                                           Map map = {}, Finish finish = {}) {
  __shared__ float scratch[32];
  const Op op;
  const RowWindow w = row_window(row, n);
  float acc = Op::identity();
  for (int c = threadIdx.x; c < w.chunks; c += Threads) {
    float v[kVec];
    load_chunk(row, c * kVec - w.mis, n, v, fill);
#pragma unroll
    for (int j = 0; j < kVec; ++j) acc = op(acc, map(v[j]));
  }
  acc = block_reduce<Threads>(acc, scratch, op);
  if (threadIdx.x == 0) out[blockIdx.x] = finish(acc);
}

// Elementwise over rows: grid (rows, chunk blocks), one 16-byte chunk per thread (striding
// over y in case the grid has fewer chunk blocks than the row needs). f(v, k0) transforms
// the chunk in place; k0 is the row index of v[0] (for reading per-column operands such as
// gamma at the same positions).
template <int Threads, class F>
__device__ __forceinline__ void rowwise_chunk_map(const kpg_t* in, kpg_t* out, int n, F f) {
  const long long offset = static_cast<long long>(blockIdx.x) * n;
  const RowWindow w = row_window(in + offset, n);
  for (int c = blockIdx.y * Threads + threadIdx.x; c < w.chunks; c += gridDim.y * Threads) {
    const int k0 = c * kVec - w.mis;
    float v[kVec];
    load_chunk(in + offset, k0, n, v, 0.0f);
    f(v, k0);
    store_chunk(out + offset, k0, n, v);
  }
}

// Elementwise with one value a row (its max, sum, mean or rstd, float32 [rows]):
// out[r, j] = f(in[r, j], row_value[r]).
template <int Threads, class F>
__device__ __forceinline__ void rowwise_with_row_value(const kpg_t* in, const float* row_value,
                                                       kpg_t* out, int n, F f) {
  const float s = row_value[blockIdx.x];
  rowwise_chunk_map<Threads>(in, out, n, [s, f](float(&v)[kVec], int) {
#pragma unroll
    for (int j = 0; j < kVec; ++j) v[j] = f(v[j], s);
  });
}

// ---------------------------------------------------------------- eager norm steps
// The steps LayerNorm's and RMSNorm's chains share.

// rstd[r] = 1 / sqrt(sum square(x[r, :]) / n + eps), one block of Threads per row.
template <int Threads, class Square>
__device__ __forceinline__ void norm_rstd(const kpg_t* x, float* rstd, int n, float eps,
                                          Square square) {
  reduce_row<Threads, SumOp>(block_row(x, n), rstd, n, 0.0f, square,
                             [eps, n](float s) { return rsqrtf(s / n + eps); });
}

// xhat[r, :] = x[r, :] * rstd[r] (LayerNorm's x centred already).
template <int Threads>
__device__ __forceinline__ void norm_normalise(const kpg_t* x, const float* rstd, kpg_t* xhat,
                                               int n) {
  rowwise_with_row_value<Threads>(x, rstd, xhat, n, [](float v, float r) { return v * r; });
}

// y = xhat * gamma + beta, or y = xhat * gamma without Bias (RMSNorm; beta is not read).
template <int Threads, bool Bias>
__device__ __forceinline__ void norm_affine(const kpg_t* xhat, const kpg_t* gamma,
                                            const kpg_t* beta, kpg_t* y, int n) {
  rowwise_chunk_map<Threads>(xhat, y, n, [gamma, beta, n](float(&v)[kVec], int k0) {
    float g[kVec];
    load_chunk(gamma, k0, n, g, 0.0f);
    if constexpr (Bias) {
      float b[kVec];
      load_chunk(beta, k0, n, b, 0.0f);
#pragma unroll
      for (int j = 0; j < kVec; ++j) v[j] = v[j] * g[j] + b[j];
    } else {
#pragma unroll
      for (int j = 0; j < kVec; ++j) v[j] *= g[j];
    }
  });
}
