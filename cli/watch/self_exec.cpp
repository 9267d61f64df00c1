#include "cli/watch/self_exec.hpp"

#include <unistd.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <vector>

namespace kpg {

void exec_self(const std::string& extra_arg) {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::vector<std::string> args;
  for (std::string arg; std::getline(in, arg, '\0');) args.push_back(arg);
  if (args.empty()) {
    spdlog::error("cannot restart: /proc/self/cmdline is not readable");
    return;
  }
  if (std::find(args.begin(), args.end(), extra_arg) == args.end()) args.push_back(extra_arg);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  ::execv("/proc/self/exe", argv.data());
  spdlog::error("cannot restart: execv(/proc/self/exe) failed: {}", std::strerror(errno));
}

}  // namespace kpg
