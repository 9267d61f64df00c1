#include "tuner/worker_supervisor.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "runtime/error.hpp"

extern char** environ;

namespace kpg {
namespace {

using Clock = std::chrono::steady_clock;

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exit code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    const char* name = strsignal(sig);
    return "killed by signal " + std::to_string(sig) + (name ? std::string(" (") + name + ")" : "");
  }
  return "status " + std::to_string(status);
}

// Exit status of a worker that lost its reference: a GPU failure, not bad input.
constexpr int kExitRuntimeErrorCode = 1;

// "30", "0.5": the watchdog as the user gave it.
std::string fmt_seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", s);
  return buf;
}

// One running worker: its process, the read end of its event pipe and what it is doing.
struct Worker {
  pid_t pid = -1;
  int fd = -1;
  std::string pending;                    // bytes after the last newline
  std::optional<WorkerEvent> in_flight;   // started, no result yet
  std::optional<WorkerEvent> last_result;
  Clock::time_point deadline;
  size_t restarts = 0;
  bool done = false;
};

void spawn(const WorkerSpec& spec, Worker& w) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw Error(std::string("pipe: ") + std::strerror(errno));
  // Keep the write end away from the target fd, so dup2 always makes a fresh, inheritable copy.
  const int write_fd = ::fcntl(fds[1], F_DUPFD_CLOEXEC, kWorkerEventFd + 1);
  ::close(fds[1]);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, write_fd, kWorkerEventFd);
  std::vector<char*> argv;
  for (const auto& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const int rc = ::posix_spawn(&w.pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(write_fd);
  if (rc != 0) {
    ::close(fds[0]);
    throw Error("could not start " + spec.label + " (" + spec.argv[0] + "): " + std::strerror(rc));
  }
  w.fd = fds[0];
  w.pending.clear();
  w.in_flight.reset();
  w.last_result.reset();
}

int reap(Worker& w) {
  ::close(w.fd);
  w.fd = -1;
  int status = 0;
  while (::waitpid(w.pid, &status, 0) < 0 && errno == EINTR) {
  }
  w.pid = -1;
  return status;
}

// Kills whatever still runs when supervise() leaves by an exception.
struct KillOnExit {
  std::vector<Worker>& workers;
  ~KillOnExit() {
    for (auto& w : workers)
      if (w.pid > 0) {
        ::kill(w.pid, SIGKILL);
        reap(w);
      }
  }
};

}  // namespace

std::string format_event(const WorkerEvent& event) {
  std::string line = event.kind + "\t" + encode_json(event.key) + "\t" + encode_json(event.record);
  if (event.note.empty()) return line;
  std::string note = event.note;
  std::replace_if(note.begin(), note.end(), [](char c) { return c == '\t' || c == '\n' || c == '\r'; }, ' ');
  return line + "\t" + note;
}

void write_event(int fd, const WorkerEvent& event) {
  const std::string line = format_event(event) + "\n";
  for (size_t done = 0; done < line.size();) {
    const ssize_t n = ::write(fd, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw Error("worker: lost the pipe to the supervisor");
    done += static_cast<size_t>(n);
  }
}

std::optional<WorkerEvent> parse_event(const std::string& line) {
  const size_t a = line.find('\t');
  const size_t b = a == std::string::npos ? a : line.find('\t', a + 1);
  if (b == std::string::npos) return std::nullopt;
  const size_t c = line.find('\t', b + 1);  // JSON has no raw tabs: a third one starts the note
  WorkerEvent e;
  e.kind = line.substr(0, a);
  if (e.kind != "start" && e.kind != "result" && e.kind != "reference" && e.kind != "reference-done")
    return std::nullopt;
  try {
    e.key = decode_key_json(line.substr(a + 1, b - a - 1));
    e.record = decode_record_json(line.substr(b + 1, c == std::string::npos ? c : c - b - 1));
  } catch (const Error&) {
    return std::nullopt;
  }
  if (c != std::string::npos) e.note = line.substr(c + 1);
  return e;
}

SupervisorReport supervise(const std::vector<WorkerSpec>& specs, const SupervisorOptions& options,
                           const SupervisorHooks& hooks) {
  SupervisorReport report;
  std::vector<Worker> workers(specs.size());
  const KillOnExit guard{workers};
  for (size_t i = 0; i < specs.size(); ++i) spawn(specs[i], workers[i]);

  const auto lose = [&](size_t i, const std::string& why) {
    Worker& w = workers[i];
    if (w.in_flight->kind == "reference") {
      const TuneRecord& r = w.in_flight->record;
      throw ReferenceLost(specs[i].label + ": the reference kernel (variant '" + r.variant + "', " + r.candidate_id +
                              ") " + why + "; every candidate is checked against it, so the run stops here",
                          kExitRuntimeErrorCode);
    }
    report.lost.push_back(w.in_flight->record.candidate_id + ": " + why);
    if (hooks.on_lost) hooks.on_lost(i, *w.in_flight, why);
  };
  const auto restart = [&](size_t i, const std::string& why) {
    Worker& w = workers[i];
    if (++w.restarts > options.max_restarts)
      throw Error(specs[i].label + " was restarted " + std::to_string(options.max_restarts) +
                  " times; giving up");
    WorkerSpec spec = specs[i];
    if (hooks.restart_argv) {
      spec.argv = hooks.restart_argv(i);
      if (spec.argv.empty()) {  // nothing left for it to do
        w.done = true;
        return;
      }
    }
    ++report.restarts;
    if (hooks.on_restart) hooks.on_restart(i, why);
    spawn(spec, w);
  };
  // The worker's pipe closed: it ended. Decide whether to go on with a new one.
  const auto ended = [&](size_t i) {
    Worker& w = workers[i];
    const int code = reap(w);
    const std::string status = describe_status(code);
    if (w.in_flight) {
      lose(i, w.in_flight->kind == "reference"
                  ? "ended its worker process (" + status + "); its messages are above"
                  : "crash: the worker process ended (" + status + ") while this candidate ran");
      return restart(i, status);
    }
    if (status == "exit code 0") {
      w.done = true;
      return;
    }
    const TuneRecord* last = w.last_result ? &w.last_result->record : nullptr;
    if (last && !last->ok && last->failure.rfind("fault", 0) == 0) return restart(i, "fault in " + last->candidate_id);
    throw WorkerFailed(specs[i].label + " failed (" + status + "); its messages are above",
                       WIFEXITED(code) ? WEXITSTATUS(code) : -1);
  };

  while (std::any_of(workers.begin(), workers.end(), [](const Worker& w) { return !w.done; })) {
    std::vector<pollfd> polls;
    std::vector<size_t> index;
    auto timeout = std::chrono::milliseconds(1000);
    const auto now = Clock::now();
    for (size_t i = 0; i < workers.size(); ++i) {
      if (workers[i].done) continue;
      polls.push_back({workers[i].fd, POLLIN, 0});
      index.push_back(i);
      if (workers[i].in_flight)
        timeout = std::min(timeout, std::max(std::chrono::milliseconds(0),
                                             std::chrono::duration_cast<std::chrono::milliseconds>(
                                                 workers[i].deadline - now)));
    }
    if (::poll(polls.data(), polls.size(), static_cast<int>(timeout.count()) + 1) < 0 && errno != EINTR)
      throw Error(std::string("poll: ") + std::strerror(errno));

    for (size_t k = 0; k < polls.size(); ++k) {
      const size_t i = index[k];
      Worker& w = workers[i];
      if (polls[k].revents & (POLLIN | POLLHUP | POLLERR)) {
        char buf[65536];
        const ssize_t n = ::read(w.fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
          ended(i);
          continue;
        }
        w.pending.append(buf, static_cast<size_t>(n));
        for (size_t eol; (eol = w.pending.find('\n')) != std::string::npos;) {
          const auto event = parse_event(w.pending.substr(0, eol));
          w.pending.erase(0, eol + 1);
          if (!event) continue;
          if (event->kind == "start" || event->kind == "reference") {
            w.in_flight = *event;
            w.deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(options.watchdog);
          } else {
            if (w.in_flight && w.in_flight->record.candidate_id == event->record.candidate_id) w.in_flight.reset();
            if (event->kind == "result") w.last_result = *event;
          }
          if (hooks.on_event) hooks.on_event(i, *event);
        }
      } else if (w.in_flight && Clock::now() >= w.deadline) {
        ::kill(w.pid, SIGKILL);
        reap(w);
        lose(i, std::string(w.in_flight->kind == "reference" ? "hung" : "hang") + ": no result after " +
                    fmt_seconds(options.watchdog.count()) + " s (the worker was killed)");
        restart(i, "hang in " + w.in_flight->record.candidate_id);
      }
    }
  }
  return report;
}

}  // namespace kpg
