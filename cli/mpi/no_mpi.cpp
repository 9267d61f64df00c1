// A kpg built without MPI: under a launcher it says so instead of running N copies of itself.

#include "cli/mpi/communicator.hpp"
#include "runtime/error.hpp"

namespace kpg {

bool built_with_mpi() { return false; }

std::string mpi_library_version() { return ""; }

std::unique_ptr<Communicator> join_mpi() {
  throw InputError(
      "this kpg was built without MPI, so it cannot run as one of " + std::to_string(launcher_world_size()) +
      " MPI ranks: install an MPI (Debian/Ubuntu: openmpi-bin libopenmpi-dev) and rebuild (cmake -DKPG_MPI=ON), "
      "or run kpg without mpirun");
}

}  // namespace kpg
