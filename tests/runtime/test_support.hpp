#pragma once
// Helpers shared by the runtime tests: those of every folder (TempDir, ScopedEnv), where
// the example kernels live, and a child process with a file size limit.

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "tests/shared_test_support.hpp"

namespace kpg::testing {

inline std::filesystem::path examples_dir() { return std::filesystem::path(KPG_TEST_KERNELS_DIR) / "examples"; }

// Runs `f` (returning bool) in a child process that may write at most `limit` bytes per
// file, and returns the child's wait status: exit 0 when `f` returned true. With `die` the
// child is killed by SIGXFSZ at the limit, as a writer killed mid-write; without, write()
// fails with EFBIG and `f` sees the error.
template <class F>
int run_with_file_size_limit(rlim_t limit, bool die, F&& f) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    const rlimit no_core{0, 0}, small{limit, limit};
    ::setrlimit(RLIMIT_CORE, &no_core);
    ::signal(SIGXFSZ, die ? SIG_DFL : SIG_IGN);
    ::setrlimit(RLIMIT_FSIZE, &small);
    ::_exit(f() ? 0 : 1);
  }
  int status = -1;
  if (pid > 0) ::waitpid(pid, &status, 0);
  return status;
}

}  // namespace kpg::testing
