#pragma once
// Helpers of the kpg CLI tests: those of every folder (TempDir, read_text), files written in
// place or the way editors save (temp file renamed over), a small op (config, kernel, two headers,
// from tests/data) to watch, and a child process whose output can be read while it runs.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/shared_test_support.hpp"

namespace kpg::test {

using testing::read_text;
using testing::TempDir;

// The absolute, normalized path, as the watcher reports files.
inline std::filesystem::path normal(const std::filesystem::path& p) { return std::filesystem::absolute(p).lexically_normal(); }

// How many times `needle` occurs in `text` (overlapping occurrences count).
inline int count(const std::string& text, const std::string& needle) {
  int n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// Writes over the file's own inode (truncate + write), as `echo > file` does.
inline std::filesystem::path write_in_place(const std::filesystem::path& path, const std::string& text) {
  return testing::write_file(path, text);
}

// Writes a temp file beside it and renames it over the original: a new inode, as vim,
// emacs and most IDEs save.
inline void write_by_rename(const std::filesystem::path& path, const std::string& text) {
  const auto temp = path.parent_path() / ("." + path.filename().string() + ".swp-new");
  write_in_place(temp, text);
  std::filesystem::rename(temp, path);
}

// A small op to watch, tests/data/copy.yaml (variants `plain`, the reference, and `tuned`, a
// grid over THREADS), whose copy.cu includes copy_common.cuh, which includes copy_math.cuh.
// scripts/reliability.sh breaks copies of the same files.
struct WatchedOp {
  std::filesystem::path dir, config, source, common, math;
};

// A file of the small op, read once; a missing one stops the tests at start.
inline std::string copy_op_file(const std::string& name) {
  const auto path = std::filesystem::path(KPG_TEST_SOURCE_DIR) / "data" / name;
  std::string text = read_text(path);
  if (text.empty()) throw std::runtime_error("cannot read " + path.string());
  return text;
}

inline const std::string kCopyYaml = copy_op_file("copy.yaml");
inline const std::string kCopyKernel = copy_op_file("copy.cu");
inline const std::string kCopyCommon = copy_op_file("copy_common.cuh");
inline const std::string kCopyMath = copy_op_file("copy_math.cuh");

inline WatchedOp write_copy_op(const std::filesystem::path& dir) {
  WatchedOp op{dir, dir / "copy.yaml", dir / "copy.cu", dir / "copy_common.cuh", dir / "copy_math.cuh"};
  write_in_place(op.config, kCopyYaml);
  write_in_place(op.source, kCopyKernel);
  write_in_place(op.common, kCopyCommon);
  write_in_place(op.math, kCopyMath);
  return op;
}

// A child process with stdout and stderr on one pipe, read while it runs.
class Child {
 public:
  Child(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env) {
    int fds[2];
    if (::pipe(fds) != 0) throw std::runtime_error("pipe failed");
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      ::dup2(fds[1], 1);
      ::dup2(fds[1], 2);
      ::close(fds[0]);
      ::close(fds[1]);
      for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    ::close(fds[1]);
    fd_ = fds[0];
  }
  ~Child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    ::close(fd_);
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  // Reads until the output holds `needle` `count` times (true) or the time is up / EOF (false).
  bool read_until(const std::string& needle, std::chrono::milliseconds limit, int count = 1) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (occurrences(needle) < count) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char buf[4096];
      const ssize_t n = ::read(fd_, buf, sizeof buf);
      if (n <= 0) return occurrences(needle) >= count;
      output_.append(buf, static_cast<size_t>(n));
    }
    return true;
  }
  // Sends `signal` (if > 0), reads the rest of the output and returns the exit status
  // (128 + signal number when killed by one). A child still running after `limit` is killed.
  int finish(int signal = 0, std::chrono::milliseconds limit = std::chrono::seconds(60)) {
    if (signal > 0) ::kill(pid_, signal);
    const auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      pollfd p{fd_, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
        ::kill(pid_, SIGKILL);
        break;
      }
      char buf[4096];
      const ssize_t n = ::read(fd_, buf, sizeof buf);
      if (n <= 0) break;
      output_.append(buf, static_cast<size_t>(n));
    }
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  const std::string& output() const { return output_; }

 private:
  int occurrences(const std::string& needle) const { return count(output_, needle); }
  pid_t pid_ = -1;
  int fd_ = -1;
  std::string output_;
};

}  // namespace kpg::test
