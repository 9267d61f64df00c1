// cp_async.cuh: the cp.async (sm_80+) wrappers the kernels share (flash attention's tile
// loads, LayerNorm block_persist's row ring): 16-byte global -> shared copies that run in
// the background until the thread waits for their group. Device code only (NVRTC);
// depends on nothing else in the tree.
#pragma once

// 16-byte copy, L2 only (.cg: nothing kept in L1).
__device__ __forceinline__ void cp_async_16(unsigned smem_addr, const void* gmem) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16;" ::"r"(smem_addr), "l"(gmem) : "memory");
}

// 16-byte copy; when !valid nothing is read and the 16 bytes are zeroed (src-size 0), so
// padding rows hold zeros, never garbage that could turn into NaN.
__device__ __forceinline__ void cp_async_16(unsigned smem_addr, const void* gmem, bool valid) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;"
               :
               : "r"(smem_addr), "l"(gmem), "r"(valid ? 16 : 0)
               : "memory");
}

__device__ __forceinline__ void cp_async_commit() {
  asm volatile("cp.async.commit_group;" ::: "memory");
}

// Waits until at most `Pending` of this thread's committed groups are still in flight.
template <int Pending>
__device__ __forceinline__ void cp_async_wait() {
  asm volatile("cp.async.wait_group %0;" ::"n"(Pending) : "memory");
}
