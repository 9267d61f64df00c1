// Cluster occupancy is asked with the launch's own opt-ins: a cluster kernel launched with
// more than the 48 KB default of dynamic shared memory a block can still be scheduled (the
// query used to leave the shared-memory opt-in to the launch and answered 0 clusters, so
// the tuner failed such candidates as "resources").
#include <gtest/gtest.h>

#include "tests/gpu_test_env.hpp"
#include "runtime/module.hpp"
#include "test_support.hpp"

namespace kpg {
namespace {

class ClusterOccupancyGpu : public testing::GpuTest {};

TEST_F(ClusterOccupancyGpu, BlocksAboveTheDefaultSharedMemoryStillFormClusters) {
  if (device().props().cc_major < 9) GTEST_SKIP() << "clusters need sm_90";
  // softmax_block with CLUSTER=4 carries __cluster_dims__(4, 1, 1).
  const Module module = load_module(std::filesystem::path(KPG_TEST_KERNELS_DIR) / "softmax" / "block_per_row.cu",
                                    {{"THREADS", "512"}, {"COLS", "4"}, {"CLUSTER", "4"}, {"MIN_BLOCKS", "1"}});
  const Function f = module.function("softmax_block");
  LaunchConfig c;
  c.grid = {8, 1, 1};
  c.block = {512, 1, 1};
  for (const unsigned bytes : {16u << 10, 128u << 10}) {
    c.shared_bytes = bytes;
    EXPECT_GT(f.max_active_clusters(c), 0) << bytes << " bytes of dynamic shared memory a block";
  }
}

}  // namespace
}  // namespace kpg
