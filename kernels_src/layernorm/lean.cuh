// layernorm/lean.cuh: LayerNorm of one row per group of threads with the fewest
// registers (gamma/beta after the reductions, x raw or as floats): the body of the
// warp_lean and block_lean spaces.
// Numerics and outputs as layernorm/row_in_registers.cuh.
#pragma once
#include "kpg_rows.cuh"

// One row per group of Tpr threads, as few registers as the row allows so that more rows
// fit on an SM (bytes in flight; at 4096 x 8192 f16 the ILP kernels' 96 registers
// allow 2 blocks of 256 threads an SM, this one 4). gamma and beta are loaded chunk by
// chunk after the reductions (L1 hits: every row reads them), never held for the row.
// KeepV = false keeps x raw (4 registers a 16-byte chunk in every type, for f16 half of
// the float row) and converts it in each pass; KeepV = true converts once to
// v = x - shift in float (fewer instructions, 8 registers a chunk for f16). With at most
// 4 chunks a thread the configs cap registers at 64 (REGS, via __launch_bounds__), which
// both fit without spills: at least 32 warps an SM. Padding and its correction as in
// layernorm_rows_raw_first.
// For 16-bit inputs two passes take one instruction less an element, bounded by the
// input's own precision: the raw squares use x - c with c = shift + mean_shifted rounded
// (adds (c's rounding / sigma)^2 to the relative variance: at most 2^-10, for 65,536
// equal f16 values but one, an ulp off), and the output (x - shift) * rstd - m * rstd in one
// FMA (error ~2^-24 x |x - shift| / sigma). f32 keeps ((x - shift) - m) throughout, which
// stays exact for rows such as 1e4 + small spread.
template <int Cols, int Tpr, bool KeepV>
__device__ __forceinline__ void layernorm_row_lean(const kpg_t* x, const kpg_t* gamma,
                                                   const kpg_t* beta, kpg_t* y, float* mean_out,
                                                   float* rstd_out, long long row, float eps,
                                                   int n, int t) {
  __shared__ float scratch[32];  // block reductions only (a warp, Tpr = 32, just shuffles)
  constexpr bool kNarrow = sizeof(kpg_t) == 2;
  constexpr bool kRawC = kNarrow && !KeepV;  // squares as x - c from the raw chunks
  const kpg_t* xrow = x + row * n;
  const RowWindow w = row_window(xrow, n);
  const kpg_t x0 = xrow[0];
  const float shift = to_float(x0);
  uint4 xr[Cols];
  load_fragment_raw<Cols, Tpr, false>(xrow, w, 0, w.chunks, t, xr, kpg_bits(x0));

  float v[KeepV ? Cols : 1][kVec];  // x - shift (KeepV only)
  auto shifted = [&](int i, int j) {  // x - shift: exactly 0 in the padding
    if constexpr (KeepV) return v[i][j];
    else return raw_element(xr[i], j) - shift;
  };
  float sum = 0.0f;
#pragma unroll
  for (int i = 0; i < Cols; ++i)
#pragma unroll
    for (int j = 0; j < kVec; ++j) {
      const float s = raw_element(xr[i], j) - shift;
      if constexpr (KeepV) v[i][j] = s;
      sum += s;
    }
  const float m = group_sum<Tpr>(sum, scratch) / n;

  const float c = shift + m;  // kRawC only
  float squares = 0.0f;
  int count = 0;  // this thread's row elements
#pragma unroll
  for (int i = 0; i < Cols; ++i) {
    count += chunk_count(frag_k0(w, 0, t, i, Tpr), n);
#pragma unroll
    for (int j = 0; j < kVec; ++j) {
      const float d = kRawC ? raw_element(xr[i], j) - c : shifted(i, j) - m;
      squares += d * d;
    }
  }
  const float d_pad = kRawC ? shift - c : -m;  // what each padding element added
  squares -= static_cast<float>(Cols * kVec - count) * (d_pad * d_pad);
  squares = group_sum<Tpr>(squares, scratch);
  float rstd = rsqrtf((squares < 0.0f ? 0.0f : squares) / n + eps);  // NaN stays NaN
  if (w.chunks > Cols * Tpr) rstd = kpg_nan();  // row does not fit: loud NaN
  if (t == 0) {
    if (mean_out != nullptr) mean_out[row] = shift + m;
    if (rstd_out != nullptr) rstd_out[row] = rstd;
  }

  const float m_rstd = m * rstd;  // kNarrow only
  kpg_t* yrow = y + row * n;
#pragma unroll
  for (int i = 0; i < Cols; ++i) {
    const int k0 = frag_k0(w, 0, t, i, Tpr);
    if (k0 >= n) break;  // later chunks lie further right
    const uint4 g = load_chunk_raw<false>(gamma, k0, n);
    const uint4 b = load_chunk_raw<false>(beta, k0, n);
    float out[kVec];
#pragma unroll
    for (int j = 0; j < kVec; ++j) {
      const float xhat =
          kNarrow ? fmaf(shifted(i, j), rstd, -m_rstd) : (shifted(i, j) - m) * rstd;
      out[j] = xhat * raw_element(g, j) + raw_element(b, j);
    }
    store_chunk(yrow, k0, n, out);
    // Keep the next chunk's gamma/beta loads below this store: hoisting them all would
    // hold 8 more registers a chunk, which is what this kernel saves.
    asm volatile("" ::: "memory");
  }
}

// The values both lean spaces give (warp_lean.cu and block_lean.cu add their block size).
namespace layernorm_lean_cfg {
KPG_PARAM(kCols, COLS);
KPG_PARAM(kKeepVParam, XF);  // x kept as float (see layernorm_row_lean)
constexpr bool kKeepV = kKeepVParam != 0;
// Register cap per thread (0: none), as __launch_bounds__' min blocks per SM, which the
// kernel derives from its block size.
KPG_PARAM(kRegs, REGS);
__host__ __device__ constexpr int min_blocks(int threads) {
  return kRegs > 0 ? 65536 / (threads * kRegs) : 1;
}
}  // namespace layernorm_lean_cfg
