#pragma once
// A one-line progress bar on stderr while candidates compile and time (count, ETA);
// plain periodic lines when stderr is not a terminal.

#include <chrono>
#include <cstddef>
#include <string>

namespace kpg {

class Progress {
 public:
  Progress(std::string label, size_t total, bool enabled);
  void update(size_t compiled, size_t done, size_t failed);
  void finish();

 private:
  std::string label_;
  size_t total_;
  bool enabled_, tty_;
  std::chrono::steady_clock::time_point start_, last_print_;
};

}  // namespace kpg
