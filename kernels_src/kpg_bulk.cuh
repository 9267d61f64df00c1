// kpg_bulk.cuh: Hopper (sm_90) bulk copies from global into shared memory: one thread
// issues cp.async.bulk (the 1-D form of the tensor memory accelerator) and the copy
// completes on an mbarrier's transaction count, so the other threads wait on the barrier
// instead of issuing a load each. Inline PTX, device code only.
//
// Use: thread 0 calls mbarrier_init on each barrier, then fence_mbarrier_init, then the
// block synchronises; thread 0 calls bulk_load_to_shared per piece (it arms the barrier
// with the piece's byte count); readers call mbarrier_wait(bar, phase) before reading.
// A barrier's k-th use completes phase k (waits compare its parity, k & 1).
#pragma once

__device__ __forceinline__ unsigned shared_addr(const void* p) {
  return static_cast<unsigned>(__cvta_generic_to_shared(p));
}

__device__ __forceinline__ void mbarrier_init(unsigned long long* bar, unsigned arrivals) {
  asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;" ::"r"(shared_addr(bar)), "r"(arrivals)
               : "memory");
}

// Makes barrier initialisation visible to the asynchronous proxy that completes the copies.
__device__ __forceinline__ void fence_mbarrier_init() {
  asm volatile("fence.mbarrier_init.release.cluster;" ::: "memory");
}

// Arrives on `bar` (one of its arrivals) expecting `bytes` more, and starts copying `bytes`
// from global `src` to shared `dst`. Both 16-byte aligned, bytes a multiple of 16.
__device__ __forceinline__ void bulk_load_to_shared(void* dst, const void* src, unsigned bytes,
                                                    unsigned long long* bar) {
  const unsigned b = shared_addr(bar);
  asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;" ::"r"(b), "r"(bytes)
               : "memory");
  asm volatile(
      "cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1], %2, [%3];" ::"r"(
          shared_addr(dst)),
      "l"(src), "r"(bytes), "r"(b)
      : "memory");
}

// Orders this thread's earlier shared-memory accesses (and, after a barrier, the block's)
// before its later asynchronous-proxy operations: a buffer the threads just read may be
// refilled by a bulk copy.
__device__ __forceinline__ void fence_proxy_async_shared() {
  asm volatile("fence.proxy.async.shared::cta;" ::: "memory");
}

__device__ __forceinline__ bool mbarrier_try_wait(unsigned long long* bar, unsigned phase) {
  unsigned done;
  asm volatile(
      "{\n .reg .pred p;\n mbarrier.try_wait.parity.shared::cta.b64 p, [%1], %2;\n"
      " selp.u32 %0, 1, 0, p;\n}"
      : "=r"(done)
      : "r"(shared_addr(bar)), "r"(phase & 1u)
      : "memory");
  return done != 0;
}

// Returns once phase `phase` of `bar` has completed (try_wait suspends the thread for a
// while in hardware, so the loop does not spin hot).
__device__ __forceinline__ void mbarrier_wait(unsigned long long* bar, unsigned phase) {
  while (!mbarrier_try_wait(bar, phase)) {
  }
}
