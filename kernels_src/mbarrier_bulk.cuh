// mbarrier_bulk.cuh: shared-memory mbarriers and the bulk copies (cp.async.bulk, the TMA
// unit's 1-D form) that complete them; sm_90 and later. Used by flash attention's
// warp-specialised kernel (through attention/mbarrier.cuh) and softmax's split_smem.
//
// mbarrier phases (PTX ISA, "Parallel Synchronization and Communication Instructions:
// mbarrier"): a barrier initialised with count C completes its current phase when C
// arrivals have been counted (and, with expect_tx, the bytes announced have landed), then
// starts the next phase (phase k + 1) with C pending again. `try_wait.parity p` is true
// once the phase whose parity is p has completed, i.e. while the current phase's parity
// differs from p. A fresh barrier is in phase 0, so waiting on parity 1 passes at once.
// Parity alone names a phase only if the waiter is never two phases behind: every wait
// states why that holds.
#pragma once

__device__ __forceinline__ void mbar_init(unsigned bar, unsigned count) {
  asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;" ::"r"(bar), "r"(count) : "memory");
}

// Makes the barrier initialisations visible (to the async proxy too) before the block
// barrier that publishes them (CUTLASS's fence_barrier_init).
__device__ __forceinline__ void mbar_fence_init() {
  asm volatile("fence.mbarrier_init.release.cluster;" ::: "memory");
}

// One arrival (release semantics at CTA scope: this thread's earlier accesses, and the
// wgmma it waited for, are ordered before the phase completes).
__device__ __forceinline__ void mbar_arrive(unsigned bar) {
  asm volatile("{\n.reg .b64 st;\nmbarrier.arrive.shared::cta.b64 st, [%0];\n}" ::"r"(bar) : "memory");
}

// One arrival on the mbarrier at `bar`'s offset in block `rank` of this block's cluster
// (this block's own rank included). Release at CTA scope, as mbar_arrive: enough for
// "my wgmma reads of the stage are complete" (they were waited for), and .release.cluster
// costs a GPU-wide memory barrier an arrival.
__device__ __forceinline__ void mbar_arrive_cluster(unsigned bar, unsigned rank) {
  asm volatile(
      "{\n.reg .b32 remote;\nmapa.shared::cluster.u32 remote, %0, %1;\n"
      "mbarrier.arrive.shared::cluster.b64 _, [remote];\n}" ::"r"(bar),
      "r"(rank)
      : "memory");
}

// One arrival that also announces `bytes` still to land (by complete_tx copies): the phase
// completes when both the arrivals and the bytes are in.
__device__ __forceinline__ void mbar_arrive_expect_tx(unsigned bar, unsigned bytes) {
  asm volatile("{\n.reg .b64 st;\nmbarrier.arrive.expect_tx.shared::cta.b64 st, [%0], %1;\n}" ::"r"(bar),
               "r"(bytes)
               : "memory");
}

// Spins until the phase of parity `parity` has completed (acquire semantics: writes released
// into that phase, and the copies it tracked, are visible afterwards).
__device__ __forceinline__ void mbar_wait(unsigned bar, unsigned parity) {
  unsigned done;
  do {
    asm volatile(
        "{\n.reg .pred p;\nmbarrier.try_wait.parity.shared::cta.b64 p, [%1], %2;\nselp.u32 %0, 1, 0, p;\n}"
        : "=r"(done)
        : "r"(bar), "r"(parity)
        : "memory");
  } while (!done);
}

// Copies `bytes` (a multiple of 16; both addresses 16-byte aligned) from global to shared
// memory in the background; the bytes count towards `bar`'s expect_tx when they land.
__device__ __forceinline__ void bulk_copy_to_shared(unsigned smem_dst, const void* gmem_src,
                                                    unsigned bytes, unsigned bar) {
  asm volatile(
      "cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1], %2, [%3];" ::"r"(
          smem_dst),
      "l"(gmem_src), "r"(bytes), "r"(bar)
      : "memory");
}

// Orders generic-proxy accesses to shared memory (st.shared, cp.async, loads) before later
// async-proxy ones (wgmma operand reads, bulk copies): executed by the accessing thread
// before the barrier that publishes them, or after the barrier that collects them.
__device__ __forceinline__ void fence_proxy_async_shared() {
  asm volatile("fence.proxy.async.shared::cta;" ::: "memory");
}
