// Latency by pointer chasing (tutorial 4). One thread follows a chain in which each
// element holds the index of the next: every load's address is the previous load's value,
// so loads cannot overlap and the cycles per step are the latency of the level that
// holds the chain (plus a few cycles of address arithmetic). The host lays the chain
// out one element per 128-byte line, in random order, so prefetching cannot help.

// Follows `warm` steps untimed (to bring the chain into the level measured), then
// `steps` timed steps; writes the cycles taken and the final index (so nothing is elided).
template <bool kBypassL1>
__device__ void chase(const unsigned* next, int warm, int steps, unsigned* sink, long long* cycles) {
  unsigned i = 0;
  for (int s = 0; s < warm; ++s) i = kBypassL1 ? __ldcg(next + i) : __ldca(next + i);
  const long long start = clock64();
  for (int s = 0; s < steps; ++s) i = kBypassL1 ? __ldcg(next + i) : __ldca(next + i);
  const long long stop = clock64();
  *sink = i;
  *cycles = stop - start;
}

// Loads cached in L1 (ld.global.ca): an L1-sized chain measures L1.
extern "C" __global__ void chase_l1(const unsigned* next, int warm, int steps, unsigned* sink, long long* cycles) {
  chase<false>(next, warm, steps, sink, cycles);
}

// Loads that skip L1 (ld.global.cg): an L2-sized chain measures L2, a larger one DRAM.
extern "C" __global__ void chase_l2(const unsigned* next, int warm, int steps, unsigned* sink, long long* cycles) {
  chase<true>(next, warm, steps, sink, cycles);
}

// The chain copied into dynamic shared memory by the whole block, then chased by one thread.
extern "C" __global__ void chase_shared(const unsigned* next, int n, int steps, unsigned* sink, long long* cycles) {
  extern __shared__ unsigned chain[];
  for (int j = threadIdx.x; j < n; j += blockDim.x) chain[j] = next[j];
  __syncthreads();
  if (threadIdx.x != 0) return;
  unsigned i = 0;
  for (int s = 0; s < n; ++s) i = chain[i];  // warm-up: one pass
  const long long start = clock64();
  for (int s = 0; s < steps; ++s) i = chain[i];
  const long long stop = clock64();
  *sink = i;
  *cycles = stop - start;
}
