#include "kpg/device.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include "lib/api_guard.hpp"
#include "lib/device_session.hpp"
#include "lib/nvidia_version.hpp"
#include "runtime/compiler.hpp"
#include "runtime/driver.hpp"
#include "runtime/version.hpp"

namespace kpg {

std::string parse_nvidia_driver_version(const std::string& proc_text) {
  std::istringstream lines(proc_text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("NVRM version:", 0) != 0) continue;
    const auto module = line.find("Kernel Module");
    std::istringstream words(module == std::string::npos ? line : line.substr(module));
    for (std::string word; words >> word;) {
      const bool dotted = word.find('.') != std::string::npos;
      const bool numeric = !word.empty() && std::all_of(word.begin(), word.end(), [](unsigned char c) {
        return std::isdigit(c) || c == '.';
      });
      if (dotted && numeric && std::isdigit(static_cast<unsigned char>(word.front()))) return word;
    }
  }
  return "";
}

std::string nvidia_driver_version() {
  std::ifstream in("/proc/driver/nvidia/version");
  if (!in) return "";
  std::ostringstream text;
  text << in.rdbuf();
  return parse_nvidia_driver_version(text.str());
}

DeviceInfo device_info(int device) {
  return api_guard([&] {
    const Gpu& gpu = shared_gpu(device);
    const DeviceProperties& p = gpu.props();
    DeviceInfo info;
    info.ordinal = p.ordinal;
    info.name = p.name;
    info.arch = p.arch();
    info.sm_count = p.sm_count;
    info.l2_bytes = p.l2_bytes;
    info.memory_bytes = p.total_memory;
    info.driver = nvidia_driver_version();
    info.cuda_runtime_of_driver = cuda_version_text(driver_version());
    info.nvrtc = cuda_version_text(nvrtc_version());
    info.kpg_version = kpg::version();
    info.identity = gpu.cache_identity();
    return info;
  });
}

std::string library_version() { return kpg::version(); }

}  // namespace kpg
