#include "cli/watch/stop_signal.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "runtime/error.hpp"

namespace kpg {
namespace {

volatile sig_atomic_t g_write_fd = -1;
volatile sig_atomic_t g_signal = 0;

extern "C" void on_stop_signal(int signal) {
  const int saved = errno;
  g_signal = signal;
  const char byte = 1;
  if (g_write_fd >= 0) (void)!::write(g_write_fd, &byte, 1);  // async-signal-safe; a full pipe is fine
  errno = saved;
}

}  // namespace

StopSignal::StopSignal() {
  if (g_write_fd >= 0) throw Error("StopSignal: only one may exist at a time");
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) throw Error(std::string("pipe2 failed: ") + std::strerror(errno));
  read_fd_ = fds[0];
  g_signal = 0;
  g_write_fd = fds[1];
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART | SA_RESETHAND;
  if (::sigaction(SIGINT, &action, &old_int_) != 0 || ::sigaction(SIGTERM, &action, &old_term_) != 0) {
    const std::string why = std::strerror(errno);
    ::sigaction(SIGINT, &old_int_, nullptr);
    ::close(fds[0]);
    ::close(fds[1]);
    g_write_fd = -1;
    throw Error("sigaction failed: " + why);
  }
}

StopSignal::~StopSignal() {
  ::sigaction(SIGINT, &old_int_, nullptr);
  ::sigaction(SIGTERM, &old_term_, nullptr);
  const int write_fd = g_write_fd;
  g_write_fd = -1;
  ::close(write_fd);
  ::close(read_fd_);
}

bool StopSignal::requested() const {
  pollfd p{read_fd_, POLLIN, 0};
  return ::poll(&p, 1, 0) > 0 && (p.revents & POLLIN);
}

int StopSignal::signal_number() const { return g_signal; }

}  // namespace kpg
