// tma.cuh: tiles moved by the Tensor Memory Accelerator (cp.async.bulk.tensor), sm_90 and
// later. The host encodes a CUtensorMap per buffer (an op YAML's `{tensor_map: x, box: [...]}`
// argument) and the kernel takes it as `const __grid_constant__ CUtensorMap`: its address
// is then a parameter-space address the TMA instructions read. Coordinates are element
// indices of the tile's first element, innermost dim first (the reverse of the YAML's
// row-major shape); rows and columns past the tensor's edge read as zero on a load and
// are not written on a store. The innermost coordinate times the element size must be a
// multiple of 16 bytes, and a store must start at no negative coordinate (a load may): the
// hardware faults otherwise (an illegal instruction), which the driver cannot check ahead.
// Loads complete on an mbarrier (mbarrier_bulk.cuh).
#pragma once

// cuda.h's CUtensorMap, which NVRTC cannot include: 128 opaque bytes the driver encodes.
struct alignas(64) CUtensorMap {
  unsigned long long opaque[16];
};

__device__ __forceinline__ unsigned long long tma_map_address(const CUtensorMap* map) {
  return reinterpret_cast<unsigned long long>(map);
}

// Loads the 2-D box whose first element is (x innermost, y) into shared memory at `smem_dst`
// (aligned as the map's swizzle needs: 1024 bytes for 128-byte swizzle); the box's bytes,
// zero-filled ones included, count towards `bar`'s expect_tx when they land.
__device__ __forceinline__ void tma_load_2d(unsigned smem_dst, const CUtensorMap* map, int x, int y, unsigned bar) {
  asm volatile(
      "cp.async.bulk.tensor.2d.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1, {%2, %3}], [%4];" ::"r"(
          smem_dst),
      "l"(tma_map_address(map)), "r"(x), "r"(y), "r"(bar)
      : "memory");
}

// Loads the 3-D box whose first element is (x innermost, y, z), as tma_load_2d: a box one
// element deep in z is a 2-D tile of one slice (one head of a [B*H, N, D] view), and rows
// past the slice's end read as zero instead of as the next slice's.
__device__ __forceinline__ void tma_load_3d(unsigned smem_dst, const CUtensorMap* map, int x, int y, int z,
                                            unsigned bar) {
  asm volatile(
      "cp.async.bulk.tensor.3d.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1, {%2, %3, %4}], [%5];" ::
          "r"(smem_dst),
      "l"(tma_map_address(map)), "r"(x), "r"(y), "r"(z), "r"(bar)
      : "memory");
}

// Loads the 3-D box as tma_load_3d, into the same shared-memory offset of every block of
// this block's cluster whose bit is set in `block_mask` (bit r: cluster rank r), each copy
// counting its bytes on the mbarrier at `bar`'s offset in that block.
__device__ __forceinline__ void tma_load_3d_multicast(unsigned smem_dst, const CUtensorMap* map, int x, int y, int z,
                                                      unsigned bar, unsigned short block_mask) {
  asm volatile(
      "cp.async.bulk.tensor.3d.shared::cluster.global.mbarrier::complete_tx::bytes.multicast::cluster"
      " [%0], [%1, {%2, %3, %4}], [%5], %6;" ::"r"(smem_dst),
      "l"(tma_map_address(map)), "r"(x), "r"(y), "r"(z), "r"(bar), "h"(block_mask)
      : "memory");
}

// Fetches the map into the TMA unit's descriptor cache ahead of its first copy.
__device__ __forceinline__ void tma_prefetch_map(const CUtensorMap* map) {
  asm volatile("prefetch.tensormap [%0];" ::"l"(tma_map_address(map)) : "memory");
}

// Stores the 2-D box at `smem_src` to the tensor at (x innermost, y), in the calling
// thread's bulk group: tma_store_commit() then tma_store_wait_read() before the shared
// memory is reused or the block exits.
__device__ __forceinline__ void tma_store_2d(const CUtensorMap* map, int x, int y, unsigned smem_src) {
  asm volatile("cp.async.bulk.tensor.2d.global.shared::cta.bulk_group [%0, {%1, %2}], [%3];" ::"l"(
                   tma_map_address(map)),
               "r"(x), "r"(y), "r"(smem_src)
               : "memory");
}

// Stores the 3-D box at `smem_src` to the tensor at (x innermost, y, z), as tma_store_2d.
__device__ __forceinline__ void tma_store_3d(const CUtensorMap* map, int x, int y, int z, unsigned smem_src) {
  asm volatile("cp.async.bulk.tensor.3d.global.shared::cta.bulk_group [%0, {%1, %2, %3}], [%4];" ::"l"(
                   tma_map_address(map)),
               "r"(x), "r"(y), "r"(z), "r"(smem_src)
               : "memory");
}

__device__ __forceinline__ void tma_store_commit() { asm volatile("cp.async.bulk.commit_group;" ::: "memory"); }

// Waits until every committed store of this thread has read its shared memory.
__device__ __forceinline__ void tma_store_wait_read() {
  asm volatile("cp.async.bulk.wait_group.read 0;" ::: "memory");
}
