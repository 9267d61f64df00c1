// softmax/block_per_row.cu, space block_per_row of configs/softmax.yaml: row-wise softmax
// with the row in registers, one block of THREADS per row (COLS chunks per thread).
//
//   softmax_block   with CLUSTER > 1 a thread-block cluster of CLUSTER blocks shares a
//                   row, each block holding a slice and exchanging (max, sum) through
//                   distributed shared memory (rows up to 16*1024*COLS chunks; clusters
//                   above 8 blocks are non-portable: H100 offers 16)
#include "softmax/common.cuh"

// The (max, sum) pairs of a cluster's blocks folded into the row's pair, returned to every
// thread of every block. `slots` is this block's shared float2[2]: [0] publishes `mine` to the
// cluster, [1] holds the folded pair. Lane b of warp 0 reads block b's pair (distributed
// shared memory) and the warp folds them by shuffles: one remote-load latency, where reading
// the CLUSTER pairs one after another cost CLUSTER of them (each behind the last one's fold),
// with every block of the cluster idle meanwhile.
template <int Cluster>
__device__ __forceinline__ float2 cluster_max_sum(float2 mine, float2* slots) {
  if (threadIdx.x == 0) slots[0] = mine;
  cluster_arrive();
  cluster_wait();
  if (threadIdx.x < 32) {
    const float2 p = fold_slice_pairs<Cluster>(
        [&](unsigned b) { return load_cluster_float2(slots, static_cast<int>(b)); });
    if (threadIdx.x == 0) slots[1] = p;
  }
  cluster_arrive();  // done reading the others' slots; wait again before exiting
  __syncthreads();   // slots[1] is written
  return slots[1];
}

template <int Cluster>
struct ClusterExchange {  // the slices' blocks form a cluster: distributed shared memory
  float2* slots;          // two float2 of shared memory
  __device__ float2 fold(float2 mine) const { return cluster_max_sum<Cluster>(mine, slots); }
  __device__ void release() const { cluster_wait(); }  // no block leaves while its slot is read
};

namespace softmax_block_cfg {
KPG_PARAM(kThreads, THREADS);
KPG_PARAM(kCols, COLS);              // chunks per thread and slice
KPG_PARAM(kCluster, CLUSTER);        // blocks per row (grid = M * CLUSTER)
KPG_PARAM(kMinBlocks, MIN_BLOCKS);   // blocks per SM the registers must allow
// Above 8 the cluster size is non-portable: kpg's runtime opts the kernel in, and a device
// that cannot schedule it fails the candidate as a resource problem (tuner/launch_plan.hpp).
static_assert(kCluster >= 1 && kCluster <= 16, "CLUSTER must be 1..16 (16: non-portable, H100)");
}  // namespace softmax_block_cfg

#if CLUSTER > 1
#define KPG_SOFTMAX_CLUSTER_DIMS __cluster_dims__(CLUSTER, 1, 1)
#else
#define KPG_SOFTMAX_CLUSTER_DIMS
#endif

extern "C" __global__ void KPG_SOFTMAX_CLUSTER_DIMS __launch_bounds__(softmax_block_cfg::kThreads, softmax_block_cfg::kMinBlocks)
    softmax_block(const kpg_t* __restrict__ x, kpg_t* __restrict__ y, int M, int N) {
  using namespace softmax_block_cfg;
  __shared__ float scratch[32];
  __shared__ float2 cluster_slots[2];
  // A cluster's blocks are consecutive in x; grid = M * CLUSTER, so row < M always.
  const long long row = blockIdx.x / kCluster;
  const int slice = blockIdx.x % kCluster;
  const long long offset = row * N;
  softmax_row_in_registers<kCols, kThreads, kCluster>(x + offset, y + offset, N, slice,
                                                      threadIdx.x, scratch,
                                                      ClusterExchange<kCluster>{cluster_slots});
}
