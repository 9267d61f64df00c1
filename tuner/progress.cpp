#include "tuner/progress.hpp"

#include <unistd.h>

#include <cstdio>

namespace kpg {

Progress::Progress(std::string label, size_t total, bool enabled)
    : label_(std::move(label)), total_(total), enabled_(enabled && total > 0), tty_(isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()), last_print_(start_) {}

void Progress::update(size_t compiled, size_t done, size_t failed) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  if (!tty_ && std::chrono::duration<double>(now - last_print_).count() < 2.0 && done < total_) return;
  last_print_ = now;
  const double eta = done > 0 ? elapsed / static_cast<double>(done) * static_cast<double>(total_ - done) : 0.0;
  constexpr int width = 20;  // with a lesson's label the line fits 100 columns
  const int filled = static_cast<int>(width * done / total_);
  std::string bar(static_cast<size_t>(filled), '#');
  bar.append(static_cast<size_t>(width - filled), '.');
  std::fprintf(stderr, "%s%s [%s] %zu/%zu done, %zu compiled, %zu failed, %.1fs, ETA %.1fs%s",
               tty_ ? "\r" : "", label_.c_str(), bar.c_str(), done, total_, compiled, failed, elapsed, eta,
               tty_ ? "\033[K" : "\n");
  std::fflush(stderr);
}

void Progress::finish() {
  if (enabled_ && tty_) std::fprintf(stderr, "\n");
}

}  // namespace kpg
