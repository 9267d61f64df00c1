#pragma once
// kpg as one rank of an MPI job (`mpirun -n N kpg tune|compile --all|cache merge`). This is
// the only interface to MPI: its implementation (mpi_communicator.cpp) is the one file that
// includes mpi.h, and a kpg built without MPI gets no_mpi.cpp instead, whose join_mpi()
// says so. Ranks exchange text (JSON, record lines), so nothing here knows about tuning.

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace kpg {

// The number of processes an MPI launcher started, read from the environment it sets
// (OMPI_COMM_WORLD_SIZE, PMI_SIZE, ...) without calling MPI, so that a plain `kpg` never
// initialises MPI. 1 when kpg was not started by a launcher.
int launcher_world_size();

// Whether this kpg was built with MPI, and which library ("Open MPI v4.1.4, ..."; empty without).
bool built_with_mpi();
std::string mpi_library_version();

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // This rank among the ranks of its host, and how many there are.
  virtual int local_rank() const = 0;
  virtual int local_size() const = 0;
  virtual std::string host() const = 0;

  // Every rank's text, in rank order, at rank 0 (other ranks get an empty vector).
  virtual std::vector<std::string> gather(const std::string& mine) const = 0;
  // Every rank's text, in rank order, at every rank.
  virtual std::vector<std::string> all_gather(const std::string& mine) const = 0;
  // Rank 0's text, at every rank (the argument is ignored elsewhere).
  virtual std::string broadcast(const std::string& from_rank0) const = 0;
  // Ends every rank of the job with this exit code: for a failure after which the other
  // ranks would wait for this one forever.
  [[noreturn]] virtual void abort(int exit_code) const = 0;
};

// Threads one rank may keep busy (compiles): the cores it may run on, shared with the
// ranks of its host that may run on the very same cores (all of them when the launcher
// bound none). Collective: every rank calls it.
unsigned threads_per_rank(const Communicator& comm);

// Initialises MPI (MPI_Finalize when the object is destroyed). Throws InputError when
// this kpg was built without MPI.
std::unique_ptr<Communicator> join_mpi();

// Runs `body` on every rank. An exception on one rank is printed, with the rank and host,
// and ends the whole job through abort(): the other ranks may be waiting for this one.
// The exit code is rank 0's, the same on every rank (mpirun reports the worst).
int run_on_every_rank(const Communicator& comm, const std::string& what, const std::function<int()>& body);

}  // namespace kpg
