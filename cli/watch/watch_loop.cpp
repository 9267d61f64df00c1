#include "cli/watch/watch_loop.hpp"

#include <csignal>

#include "cli/command.hpp"
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

}  // namespace

int run_watch_loop(WatchRounds& rounds, const LoopOptions& options, std::ostream& out) {
  const auto start = Clock::now();
  if (options.once) {
    const RoundOutcome outcome = rounds.run({});
    out << "start -> result: " << format_duration_ms(ms_since(start)) << "\n";
    if (outcome.fatal) out << "kpg watch: " << outcome.fatal_message << "\n";
    return outcome.exit_code();
  }

  const StopSignal stop;
  rounds.settings().stop_requested = [&stop] { return stop.requested(); };
  struct Forget {  // the rounds outlive `stop`
    WatchRounds& rounds;
    ~Forget() { rounds.settings().stop_requested = nullptr; }
  } forget{rounds};
  FileWatcher watcher(options.debounce);
  // Watched before the first round, so a save during it is not missed.
  watcher.watch(rounds.watched_files());
  RoundOutcome outcome = rounds.run({});
  out << "start -> result: " << format_duration_ms(ms_since(start)) << "\n";
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
  if (outcome.fatal) {
    out << "kpg watch: " << outcome.fatal_message << "\n";
    return kExitRuntimeError;
  }
  out << "kpg watch: stopped (" << (stop.signal_number() == SIGTERM ? "SIGTERM" : "SIGINT") << ")\n";
  return kExitOk;
}

}  // namespace kpg
