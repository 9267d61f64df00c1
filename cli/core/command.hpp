#pragma once
// What every `kpg` command shares: the global flags and the registration functions.
// Each command lives in its own file and registers itself with one add_*_command call
// from main.cpp. Registration only stores the work in `CliContext::action`; main runs it
// after parsing, once logging is set up, and maps exceptions to exit codes.

#include <CLI/CLI.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

namespace kpg {

// Exit codes: 0 ok, 1 runtime or GPU failure, 2 bad input (flags, files, YAML, kernel source).
constexpr int kExitOk = 0;
constexpr int kExitRuntimeError = 1;
constexpr int kExitBadInput = 2;

struct CliContext {
  // When the process started: `kpg run` reports the time to its first kernel launch.
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  int verbose = 0;  // count of -v
  int quiet = 0;    // count of -q
  std::string kernels_dir_flag;  // empty when not given
  std::string configs_dir_flag;
  std::function<int()> action;  // the chosen command; returns its exit code
  // Where tuning records go when not to the cache folder's own tuning/ (an MPI rank's
  // partial cache; tuning worker processes are told with --tuning-cache). Empty: cache_dir().
  std::filesystem::path tuning_cache_dir_override;

  std::filesystem::path kernels_dir() const;
  std::filesystem::path configs_dir() const;
  std::filesystem::path cache_dir() const;
  std::filesystem::path tuning_cache_dir() const;
};

void add_doctor_command(CLI::App& app, CliContext& ctx);
void add_compile_command(CLI::App& app, CliContext& ctx);
void add_tune_command(CLI::App& app, CliContext& ctx);
void add_run_command(CLI::App& app, CliContext& ctx);
void add_cache_command(CLI::App& app, CliContext& ctx);
void add_tutorial_command(CLI::App& app, CliContext& ctx);
void add_watch_command(CLI::App& app, CliContext& ctx);

}  // namespace kpg
