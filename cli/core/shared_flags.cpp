#include "cli/core/shared_flags.hpp"

#include "cli/core/flag_checks.hpp"

namespace kpg {

void add_tuning_flags(CLI::App* cmd, bool& force, bool& no_tune, size_t& budget) {
  cmd->add_flag("--force", force, "Re-time candidates that already have tuning cache records");
  cmd->add_flag("--no-tune", no_tune, "Time nothing: use the tuning cache, the nearest tuned shape or the default");
  cmd->add_option("--budget", budget, "Time at most N candidates per variant and shape (guided search for large grids)")
      ->check(whole_number());
}

void add_worker_flags(CLI::App* cmd, bool& in_process, double& watchdog_s, int& worker_fd,
                      const std::string& in_process_help, const std::string& unit) {
  cmd->add_flag("--in-process", in_process, in_process_help);
  cmd->add_option("--watchdog", watchdog_s, "Seconds " + unit + " may run before it counts as hung")
      ->capture_default_str()
      ->check(watchdog_seconds());
  // The worker side of the protocol, set by the supervising command only.
  cmd->add_option("--worker-fd", worker_fd)->group("");
}

}  // namespace kpg
