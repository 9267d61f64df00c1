// cluster.cuh: thread-block clusters (sm_90): the cluster-wide barrier and reads of another
// block's shared memory (distributed shared memory). Inline PTX, so no cooperative_groups
// header is needed. A kernel that uses these carries __cluster_dims__, so a plain
// cuLaunchKernel launches it as clusters.
#pragma once

__device__ __forceinline__ void cluster_arrive() {
  asm volatile("barrier.cluster.arrive.release.aligned;" ::: "memory");
}

__device__ __forceinline__ void cluster_wait() {
  asm volatile("barrier.cluster.wait.acquire.aligned;" ::: "memory");
}

// Reads the float2 at the same shared-memory address as `local`, in block `rank` of this
// block's cluster (distributed shared memory).
__device__ __forceinline__ float2 load_cluster_float2(const float2* local, int rank) {
  const unsigned local_addr = static_cast<unsigned>(__cvta_generic_to_shared(local));
  unsigned remote_addr;
  asm volatile("mapa.shared::cluster.u32 %0, %1, %2;"
               : "=r"(remote_addr)
               : "r"(local_addr), "r"(rank));
  float2 v;
  asm volatile("ld.shared::cluster.v2.f32 {%0, %1}, [%2];"
               : "=f"(v.x), "=f"(v.y)
               : "r"(remote_addr)
               : "memory");
  return v;
}
