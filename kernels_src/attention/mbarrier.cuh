// attention/mbarrier.cuh: the synchronisation primitives of the warp-specialised flash
// attention kernel (attention/flash_wgmma_ws.cu): the mbarriers of mbarrier_bulk.cuh, the
// cp.async arrive that completes one when a thread's copies land, named barriers and setmaxnreg.
// sm_90a only (setmaxnreg).
#pragma once

#if defined(__CUDA_ARCH__) && !defined(__CUDA_ARCH_FEAT_SM90_ALL)
#error "mbarrier/setmaxnreg kernels need the arch-specific target sm_90a (configs: arch: sm_90a)"
#endif

#include "mbarrier_bulk.cuh"

// The barrier counts one arrival of this thread once all of its earlier cp.async copies have
// landed. .noinc: the arrival is one of the count given to mbar_init (not an extra one).
__device__ __forceinline__ void cp_async_mbar_arrive_noinc(unsigned bar) {
  asm volatile("cp.async.mbarrier.arrive.noinc.shared::cta.b64 [%0];" ::"r"(bar) : "memory");
}

// Named barriers 1..15 (0 is __syncthreads): `Threads` (a multiple of 32) arrivals complete
// one; bar_sync counts the caller and waits, bar_arrive counts it and goes on. The id is an
// immediate so that ptxas reserves only the barriers used.
template <int Id, int Threads>
__device__ __forceinline__ void named_bar_sync() {
  static_assert(Id >= 1 && Id <= 15 && Threads % 32 == 0, "named barrier id 1..15, threads a multiple of 32");
  asm volatile("bar.sync %0, %1;" ::"n"(Id), "n"(Threads) : "memory");
}
template <int Id, int Threads>
__device__ __forceinline__ void named_bar_arrive() {
  static_assert(Id >= 1 && Id <= 15 && Threads % 32 == 0, "named barrier id 1..15, threads a multiple of 32");
  asm volatile("bar.arrive %0, %1;" ::"n"(Id), "n"(Threads) : "memory");
}

// Per-thread register budget of the calling warpgroup (all its warps must execute the same
// one). inc blocks until the block's pool has the registers (freed by a dec elsewhere).
template <int Regs>
__device__ __forceinline__ void setmaxnreg_inc() {
  static_assert(Regs >= 24 && Regs <= 256 && Regs % 8 == 0, "setmaxnreg: 24..256, multiple of 8");
  asm volatile("setmaxnreg.inc.sync.aligned.u32 %0;" ::"n"(Regs));
}
template <int Regs>
__device__ __forceinline__ void setmaxnreg_dec() {
  static_assert(Regs >= 24 && Regs <= 256 && Regs % 8 == 0, "setmaxnreg: 24..256, multiple of 8");
  asm volatile("setmaxnreg.dec.sync.aligned.u32 %0;" ::"n"(Regs));
}
