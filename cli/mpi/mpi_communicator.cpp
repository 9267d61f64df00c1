// The Communicator over MPI: the one file of kpg that includes mpi.h.

#include <mpi.h>

#include <climits>
#include <cstdlib>

#include "cli/mpi/communicator.hpp"
#include "runtime/error.hpp"

namespace kpg {
namespace {

void check(int rc, const char* call) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(rc, text, &length);
  throw Error(std::string(call) + " failed: " + std::string(text, static_cast<size_t>(length)));
}

int checked_size(size_t bytes) {
  if (bytes > static_cast<size_t>(INT_MAX)) throw Error("MPI message of " + std::to_string(bytes) + " bytes is too large");
  return static_cast<int>(bytes);
}

class MpiCommunicator final : public Communicator {
 public:
  MpiCommunicator() {
    int provided = 0;
    // Only the main thread calls MPI; compile threads never do.
    check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
    // Errors come back as codes (and become exceptions) instead of ending the job silently.
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    check(MPI_Comm_rank(MPI_COMM_WORLD, &rank_), "MPI_Comm_rank");
    check(MPI_Comm_size(MPI_COMM_WORLD, &size_), "MPI_Comm_size");
    check(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &local_),
          "MPI_Comm_split_type");
    check(MPI_Comm_rank(local_, &local_rank_), "MPI_Comm_rank");
    check(MPI_Comm_size(local_, &local_size_), "MPI_Comm_size");
    char name[MPI_MAX_PROCESSOR_NAME];
    int length = 0;
    check(MPI_Get_processor_name(name, &length), "MPI_Get_processor_name");
    host_.assign(name, static_cast<size_t>(length));
  }
  ~MpiCommunicator() override {
    MPI_Comm_free(&local_);
    MPI_Finalize();
  }
  MpiCommunicator(const MpiCommunicator&) = delete;
  MpiCommunicator& operator=(const MpiCommunicator&) = delete;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  int local_rank() const override { return local_rank_; }
  int local_size() const override { return local_size_; }
  std::string host() const override { return host_; }

  std::vector<std::string> gather(const std::string& mine) const override { return collect(mine, false); }
  std::vector<std::string> all_gather(const std::string& mine) const override { return collect(mine, true); }

  std::string broadcast(const std::string& from_rank0) const override {
    int length = rank_ == 0 ? checked_size(from_rank0.size()) : 0;
    check(MPI_Bcast(&length, 1, MPI_INT, 0, MPI_COMM_WORLD), "MPI_Bcast");
    std::string text = rank_ == 0 ? from_rank0 : std::string(static_cast<size_t>(length), '\0');
    if (length > 0) check(MPI_Bcast(text.data(), length, MPI_CHAR, 0, MPI_COMM_WORLD), "MPI_Bcast");
    return text;
  }

  [[noreturn]] void abort(int exit_code) const override {
    MPI_Abort(MPI_COMM_WORLD, exit_code);
    std::_Exit(exit_code);  // MPI_Abort does not return; this keeps [[noreturn]] honest
  }

 private:
  // Sizes first, then the bytes at their displacements (MPI_Gatherv / MPI_Allgatherv).
  std::vector<std::string> collect(const std::string& mine, bool everywhere) const {
    const int length = checked_size(mine.size());
    const bool receives = everywhere || rank_ == 0;
    std::vector<int> lengths(static_cast<size_t>(size_));
    if (everywhere)
      check(MPI_Allgather(&length, 1, MPI_INT, lengths.data(), 1, MPI_INT, MPI_COMM_WORLD), "MPI_Allgather");
    else
      check(MPI_Gather(&length, 1, MPI_INT, lengths.data(), 1, MPI_INT, 0, MPI_COMM_WORLD), "MPI_Gather");
    std::vector<int> offsets(lengths.size(), 0);
    size_t total = 0;
    if (receives)
      for (size_t i = 0; i < lengths.size(); ++i) {
        offsets[i] = checked_size(total);
        total += static_cast<size_t>(lengths[i]);
      }
    checked_size(total);
    std::string all(total, '\0');
    if (everywhere)
      check(MPI_Allgatherv(mine.data(), length, MPI_CHAR, all.data(), lengths.data(), offsets.data(), MPI_CHAR,
                           MPI_COMM_WORLD),
            "MPI_Allgatherv");
    else
      check(MPI_Gatherv(mine.data(), length, MPI_CHAR, all.data(), lengths.data(), offsets.data(), MPI_CHAR, 0,
                        MPI_COMM_WORLD),
            "MPI_Gatherv");
    std::vector<std::string> out;
    if (receives)
      for (size_t i = 0; i < lengths.size(); ++i)
        out.push_back(all.substr(static_cast<size_t>(offsets[i]), static_cast<size_t>(lengths[i])));
    return out;
  }

  int rank_ = 0, size_ = 1, local_rank_ = 0, local_size_ = 1;
  MPI_Comm local_ = MPI_COMM_NULL;
  std::string host_;
};

}  // namespace

bool built_with_mpi() { return true; }

std::string mpi_library_version() {
  char text[MPI_MAX_LIBRARY_VERSION_STRING];
  int length = 0;
  MPI_Get_library_version(text, &length);
  std::string version(text, static_cast<size_t>(length));
  const size_t eol = version.find_first_of("\r\n");  // the first line names it
  return version.substr(0, eol);
}

std::unique_ptr<Communicator> join_mpi() { return std::make_unique<MpiCommunicator>(); }

}  // namespace kpg
