// examples/tma_copy.cu: y = alpha * x over a row-major [M, N] tensor, one BLOCK_M x BLOCK_N
// tile per block, moved by the Tensor Memory Accelerator. One thread asks for the tile
// (completion counted in bytes on an mbarrier), every thread scales its share of it in
// shared memory (16 bytes at a time), one thread stores it back. The tensor maps
// (configs/examples/tma_copy.yaml: `{tensor_map: x, box: [BLOCK_M, BLOCK_N], swizzle: SWIZZLE}`)
// carry the shape: elements past M or N read as zero and are not written, so the kernel
// has no bounds checks. Load and store use the same swizzle and the scaling is elementwise,
// so the kernel never needs to know where a swizzled element sits.
#include "kpg_common.cuh"
#include "mbarrier_bulk.cuh"
#include "tma.cuh"

namespace tma_copy_cfg {
KPG_PARAM(kBlockM, BLOCK_M);
KPG_PARAM(kBlockN, BLOCK_N);
// A swizzled tile starts on a 1024-byte boundary (the 128-byte pattern repeats every
// 1024 bytes); the YAML's shared_bytes adds this much slack to find one.
constexpr unsigned kTileAlign = 1024;
}  // namespace tma_copy_cfg

extern "C" __global__ void tma_copy(const __grid_constant__ CUtensorMap x_map,
                                    const __grid_constant__ CUtensorMap y_map, float alpha) {
  using namespace tma_copy_cfg;
  constexpr unsigned kTileBytes = kBlockM * kBlockN * sizeof(kpg_t);
  extern __shared__ unsigned char smem[];
  __shared__ __align__(8) unsigned long long landed;  // mbarrier of the tile load

  const unsigned base = static_cast<unsigned>(__cvta_generic_to_shared(smem));
  const unsigned tile = (base + kTileAlign - 1) & ~(kTileAlign - 1);
  kpg_t* values = reinterpret_cast<kpg_t*>(smem + (tile - base));
  const unsigned bar = static_cast<unsigned>(__cvta_generic_to_shared(&landed));
  const int x = blockIdx.x * kBlockN, y = blockIdx.y * kBlockM;

  if (threadIdx.x == 0) {
    mbar_init(bar, 1);
    mbar_fence_init();
  }
  __syncthreads();  // the barrier is initialised before anyone waits on it
  if (threadIdx.x == 0) {
    mbar_arrive_expect_tx(bar, kTileBytes);  // the whole box counts, zero-filled parts too
    tma_load_2d(tile, &x_map, x, y, bar);
  }
  mbar_wait(bar, 0);  // phase 0 completes once the tile has landed

  // 16-byte chunks (a box row is a multiple of 16 bytes, so the tile is too).
  for (unsigned c = threadIdx.x; c < kTileBytes / kVecBytes; c += blockDim.x) {
    float v[kVec];
    load_vec(values + c * kVec, v);
#pragma unroll
    for (int j = 0; j < kVec; ++j) v[j] *= alpha;
    *reinterpret_cast<uint4*>(values + c * kVec) = pack_vec(v);
  }
  fence_proxy_async_shared();  // this thread's writes before the store's (async proxy) reads
  __syncthreads();

  if (threadIdx.x == 0) {
    tma_store_2d(&y_map, x, y, tile);
    tma_store_commit();
    tma_store_wait_read();  // the tile's shared memory stays until the store has read it
  }
}
