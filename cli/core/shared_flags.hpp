#pragma once
// Flags that several commands take, registered in one place with one wording.

#include <CLI/CLI.hpp>

#include <cstddef>
#include <string>

namespace kpg {

// --force, --no-tune and --budget: how much a command tunes (kpg tune, kpg tutorial).
void add_tuning_flags(CLI::App* cmd, bool& force, bool& no_tune, size_t& budget);

// --in-process, --watchdog and the hidden --worker-fd of a command whose work runs in
// supervised worker processes (kpg tune, kpg run). `in_process_help` says what running
// in this process costs; `unit` names what the watchdog times ("a candidate").
void add_worker_flags(CLI::App* cmd, bool& in_process, double& watchdog_s, int& worker_fd,
                      const std::string& in_process_help, const std::string& unit);

}  // namespace kpg
