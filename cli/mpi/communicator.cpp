#include "cli/mpi/communicator.hpp"

#include <sched.h>

#include <algorithm>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <thread>

#include "runtime/error.hpp"

namespace kpg {
namespace {

int positive_int(const char* text) {
  if (!text) return 0;
  char* end = nullptr;
  const long v = std::strtol(text, &end, 10);
  return end != text && *end == '\0' && v > 0 && v < (1L << 30) ? static_cast<int>(v) : 0;
}

}  // namespace

int launcher_world_size() {
  // Open MPI's mpirun, MPICH/Intel MPI's Hydra (and srun --mpi=pmi2), MVAPICH2.
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "MV2_COMM_WORLD_SIZE"})
    if (const int n = positive_int(std::getenv(name))) return n;
  // srun --mpi=pmix: a PMIx rank inside a job step (not the batch script itself).
  if (std::getenv("PMIX_RANK"))
    if (const int n = positive_int(std::getenv("SLURM_STEP_NUM_TASKS"))) return n;
  return 1;
}

unsigned threads_per_rank(const Communicator& comm) {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) != 0) {
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    return std::max(1u, cores / static_cast<unsigned>(std::max(1, comm.local_size())));
  }
  // The ranks of this host bound to the very same cores share them; a rank bound to cores
  // of its own keeps them all.
  std::string mask = comm.host() + "|";
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) mask += CPU_ISSET(cpu, &set) ? '1' : '0';
  const auto masks = comm.all_gather(mask);
  const auto sharing = std::count(masks.begin(), masks.end(), mask);
  return std::max(1u, static_cast<unsigned>(CPU_COUNT(&set)) / static_cast<unsigned>(std::max<long>(1, sharing)));
}

int run_on_every_rank(const Communicator& comm, const std::string& what, const std::function<int()>& body) {
  int code = 1;
  try {
    code = body();
  } catch (const std::exception& e) {
    const bool input = dynamic_cast<const InputError*>(&e) || dynamic_cast<const CompileError*>(&e);
    std::cerr << "kpg " << what << " (rank " << comm.rank() << " of " << comm.size() << " on " << comm.host()
              << "): error: " << e.what() << std::endl;
    comm.abort(input ? 2 : 1);
  }
  // Rank 0 saw every rank's results: its code is the job's.
  return std::atoi(comm.broadcast(std::to_string(code)).c_str());
}

}  // namespace kpg
