#pragma once
// Starting this program again in place (execv of /proc/self/exe with the same arguments):
// how `kpg watch` goes on after a GPU fault, which CUDA keeps for the life of a process.

#include <string>

namespace kpg {

// Replaces this process with a fresh run of its own command line, with `extra_arg` added
// unless it is there already. Flushes stdout and stderr first. Returns only when that
// fails (the reason is logged).
void exec_self(const std::string& extra_arg);

}  // namespace kpg
