// How kpg knows it was started by an MPI launcher, before it touches MPI: from the world
// size the launcher puts in the environment. A plain run must read 1 (MPI is never started).

#include <gtest/gtest.h>

#include "cli/mpi/communicator.hpp"
#include "cli_test_support.hpp"

namespace kpg {
namespace {

using testing::ScopedEnv;

struct LauncherEnv {
  ScopedEnv ompi{"OMPI_COMM_WORLD_SIZE", std::nullopt}, pmi{"PMI_SIZE", std::nullopt},
      mv2{"MV2_COMM_WORLD_SIZE", std::nullopt}, pmix{"PMIX_RANK", std::nullopt},
      slurm{"SLURM_STEP_NUM_TASKS", std::nullopt};
};

TEST(LauncherWorldSize, IsOneWithoutALauncher) {
  const LauncherEnv none;
  EXPECT_EQ(launcher_world_size(), 1);
  const ScopedEnv batch_script("SLURM_STEP_NUM_TASKS", "8");  // an sbatch script is not a rank
  EXPECT_EQ(launcher_world_size(), 1);
}

TEST(LauncherWorldSize, ReadsOpenMpiHydraAndSlurmPmix) {
  const LauncherEnv none;
  {
    const ScopedEnv size("OMPI_COMM_WORLD_SIZE", "4");
    EXPECT_EQ(launcher_world_size(), 4);
  }
  {
    const ScopedEnv size("PMI_SIZE", "2");
    EXPECT_EQ(launcher_world_size(), 2);
  }
  {
    const ScopedEnv rank("PMIX_RANK", "0"), size("SLURM_STEP_NUM_TASKS", "3");
    EXPECT_EQ(launcher_world_size(), 3);
  }
  for (const char* junk : {"", "x", "-2", "0", "3x"}) {
    const ScopedEnv size("OMPI_COMM_WORLD_SIZE", junk);
    EXPECT_EQ(launcher_world_size(), 1) << "'" << junk << "'";
  }
}

}  // namespace
}  // namespace kpg
