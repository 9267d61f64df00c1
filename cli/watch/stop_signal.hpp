#pragma once
// Ctrl-C (SIGINT) and SIGTERM as a file descriptor to poll: the self-pipe trick. The
// handler only writes one byte to a pipe; everything else happens in the loop that polls
// it. The handler is installed with SA_RESETHAND, so a second Ctrl-C during a long round
// ends the process the default way. One instance at a time; the old handlers come back
// when it is destroyed.

#include <csignal>

namespace kpg {

class StopSignal {
 public:
  StopSignal();  // throws Error when the pipe or a handler cannot be set up
  ~StopSignal();
  StopSignal(const StopSignal&) = delete;
  StopSignal& operator=(const StopSignal&) = delete;

  // Readable once a stop was requested (it stays readable).
  int fd() const { return read_fd_; }
  bool requested() const;
  // Which signal asked (SIGINT or SIGTERM), 0 before any.
  int signal_number() const;

 private:
  int read_fd_ = -1;
  struct sigaction old_int_{}, old_term_{};
};

}  // namespace kpg
