// cp_async.cuh: the cp.async (sm_80+) wrappers the kernels share: 16-byte global ->
// shared copies that run in the background until the thread waits for their group.
// Device code only (NVRTC); depends on nothing else in the tree.
#pragma once

// Copies src_bytes (0..16) from gmem and zero-fills the rest of the 16 bytes at
// smem_addr; gmem must be 16-byte aligned, and only its first src_bytes are read.
__device__ __forceinline__ void cp_async_16_zfill(unsigned smem_addr, const void* gmem, unsigned src_bytes) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;"
               :
               : "r"(smem_addr), "l"(gmem), "r"(src_bytes)
               : "memory");
}

// 16-byte copy; when !valid nothing is read and the 16 bytes are zeroed, so padding
// rows hold zeros, never garbage that could turn into NaN.
__device__ __forceinline__ void cp_async_16(unsigned smem_addr, const void* gmem, bool valid) {
  cp_async_16_zfill(smem_addr, gmem, valid ? 16u : 0u);
}

__device__ __forceinline__ void cp_async_commit() {
  asm volatile("cp.async.commit_group;" ::: "memory");
}

// Waits until at most `Pending` of this thread's committed groups are still in flight.
template <int Pending>
__device__ __forceinline__ void cp_async_wait() {
  asm volatile("cp.async.wait_group %0;" ::"n"(Pending) : "memory");
}
