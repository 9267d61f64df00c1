// attention/standard.cu: the two small elementwise kernels of standard (unfused) attention,
// the baseline of tutorial 3. The rest of it is cuBLAS (S = scale * Q K^T, O = P V) and our
// fused softmax (configs/softmax.yaml) in float32 over the rows of S. The score matrix S and the
// probabilities live in device memory: [B*H, N, N] floats each.
//
//   attn_causal_mask(S, N, rows)   S[r, j] = -inf for j > r % N (query i sees keys 0..i),
//                                  rows = B*H*N; writes only the masked upper triangle.
//   attn_cast_probs(P32, P, count) P[i] = (kpg_t) P32[i]: float32 softmax output to the
//                                  element type of V for the second GEMM.
//
// Element type: -DKPG_DTYPE_F16 or -DKPG_DTYPE_BF16 (kpg_common.cuh). Counts are 64-bit:
// B*H*N*N exceeds 2^31 from N = 4096 at B*H = 128.
#include "kpg_common.cuh"

static_assert(sizeof(kpg_t) == 2, "standard attention casts to f16 or bf16: pass -DKPG_DTYPE_F16/BF16");

namespace {
KPG_PARAM(kThreads, THREADS);  // the tutorial's choice (tutorials/attention/standard_attention.cpp)
}  // namespace

// One block per row of S, the masked tail written with coalesced float stores: what an
// eager framework's masked_fill costs, minus reading a mask tensor.
extern "C" __global__ void __launch_bounds__(kThreads)
    attn_causal_mask(float* __restrict__ s, int n, long long rows) {
  const long long row = blockIdx.x;
  if (row >= rows) return;
  const int query = static_cast<int>(row % n);
  float* sr = s + row * n;
  for (int j = query + 1 + static_cast<int>(threadIdx.x); j < n; j += kThreads) sr[j] = kpg_neg_inf();
}

// Grid-stride cast, four floats (one 16-byte load) per step; a scalar loop takes the tail.
// `src` must be 16-byte aligned (cuMemAlloc gives 256).
extern "C" __global__ void __launch_bounds__(kThreads)
    attn_cast_probs(const float* __restrict__ src, kpg_t* __restrict__ dst, long long count) {
  const long long quads = count / 4;
  const long long stride = static_cast<long long>(gridDim.x) * kThreads;
  const long long first = static_cast<long long>(blockIdx.x) * kThreads + threadIdx.x;
  for (long long q = first; q < quads; q += stride) {
    const float4 v = reinterpret_cast<const float4*>(src)[q];
    uint2 packed;  // four 16-bit values, one 8-byte store
    kpg_t* e = reinterpret_cast<kpg_t*>(&packed);
    e[0] = from_float(v.x);
    e[1] = from_float(v.y);
    e[2] = from_float(v.z);
    e[3] = from_float(v.w);
    reinterpret_cast<uint2*>(dst)[q] = packed;
  }
  for (long long i = quads * 4 + first; i < count; i += stride) dst[i] = from_float(src[i]);
}
