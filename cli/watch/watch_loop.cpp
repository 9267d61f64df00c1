#include "cli/watch/watch_loop.hpp"

#include <csignal>

#include "cli/core/command.hpp"
#include "cli/watch/file_watcher.hpp"
#include "cli/watch/stop_signal.hpp"

namespace kpg {
namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

void print_watching(const WatchRounds& rounds, std::ostream& out) {
  out << "watching " << rounds.watched_files().size() << " file(s):";
  for (const auto& f : rounds.watched_files()) out << " " << f.filename().string();
  out << "  (Ctrl-C stops)\n";
  out.flush();
}

// The end of a loop whose process cannot go on: a fresh process when the GPU was lost
// (if the caller can start one), else exit 1 with the reason.
int end_fatal(const RoundOutcome& outcome, const LoopOptions& options, std::ostream& out) {
  out << "kpg watch: " << outcome.fatal_message << "\n";
  if (outcome.gpu_lost && options.restart) {
    out << "kpg watch: restarting in a fresh process; fix the kernel and save to go on\n";
    out.flush();
    options.restart();
    out << "kpg watch: could not restart; run kpg watch again\n";
  }
  return kExitRuntimeError;
}

int watch(WatchRounds& rounds, const LoopOptions& options, const StopSignal& stop, std::ostream& out) {
  const auto start = Clock::now();
  FileWatcher watcher(options.debounce);
  // Watched before the first round, so a save during it is not missed.
  watcher.watch(rounds.watched_files());
  RoundOutcome outcome;
  if (options.resume) {
    rounds.prepare();
    out << "kpg watch: restarted after a GPU fault; waiting for the next save\n";
  } else {
    outcome = rounds.run({});
    out << "start -> result: " << format_duration_ms(ms_since(start)) << "\n";
  }
  while (!outcome.fatal) {
    if (watcher.files() != std::set<std::filesystem::path>(rounds.watched_files().begin(), rounds.watched_files().end())) {
      watcher.watch(rounds.watched_files());
      print_watching(rounds, out);
    }
    const FileWatcher::Result change = watcher.wait(std::nullopt, stop.fd());
    if (change.status == FileWatcher::Status::interrupted) break;
    if (change.status != FileWatcher::Status::changed) continue;
    outcome = rounds.run(change.files);
    out << "save -> result: " << format_duration_ms(ms_since(change.first_event)) << " (including the "
        << options.debounce.count() << " ms debounce)\n";
    out.flush();
  }
  if (outcome.fatal) return end_fatal(outcome, options, out);
  out << "kpg watch: stopped (" << (stop.signal_number() == SIGTERM ? "SIGTERM" : "SIGINT") << ")\n";
  return kExitOk;
}

}  // namespace

int run_watch_loop(WatchRounds& rounds, const LoopOptions& options, std::ostream& out) {
  if (options.once) {
    const auto start = Clock::now();
    const RoundOutcome outcome = rounds.run({});
    out << "start -> result: " << format_duration_ms(ms_since(start)) << "\n";
    if (outcome.fatal) out << "kpg watch: " << outcome.fatal_message << "\n";
    return outcome.exit_code();
  }
  const StopSignal stop;
  struct Forget {  // the rounds outlive `stop`
    WatchRounds& rounds;
    ~Forget() { rounds.settings().stop_requested = nullptr; }
  } forget{rounds};
  rounds.settings().stop_requested = [&stop] { return stop.requested(); };
  return watch(rounds, options, stop, out);
}

}  // namespace kpg
