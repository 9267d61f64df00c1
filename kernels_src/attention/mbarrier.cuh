// attention/mbarrier.cuh: the synchronisation primitives of the warp-specialised flash
// attention kernel (attention_sm90_ws.cu): shared-memory mbarriers, the cp.async arrive that
// completes one when a thread's copies land, named barriers and setmaxnreg. sm_90a only.
//
// mbarrier phases (PTX ISA, "Parallel Synchronization and Communication Instructions:
// mbarrier"): a barrier initialised with count C completes its current phase when C
// arrivals have been counted, then starts the next phase (phase k + 1) with C pending again.
// `try_wait.parity p` is true once the phase whose parity is p has completed, i.e. while
// the current phase's parity differs from p. A fresh barrier is in phase 0, so waiting on
// parity 1 passes at once. Parity alone names a phase only if the waiter is never two phases
// behind: every wait in attention_sm90_ws.cu states why that holds.
#pragma once

#if defined(__CUDA_ARCH__) && !defined(__CUDA_ARCH_FEAT_SM90_ALL)
#error "mbarrier/setmaxnreg kernels need the arch-specific target sm_90a (configs: arch: sm_90a)"
#endif

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

// Spins until the phase of parity `parity` has completed (acquire semantics: writes released
// into that phase, and cp.async copies it tracked, are visible afterwards).
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
