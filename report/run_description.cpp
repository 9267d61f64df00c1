#include "report/run_description.hpp"

#include <chrono>
#include <ctime>

#include "runtime/driver.hpp"

namespace kpg {

std::string describe_run(const Gpu& gpu) {
  const auto& p = gpu.props();
  const auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  char date[16];
  std::strftime(date, sizeof date, "%Y-%m-%d", std::gmtime(&t));
  return p.name + " (" + p.arch() + ", " + std::to_string(p.sm_count) + " SMs), CUDA driver " +
         cuda_version_text(driver_version()) + ", " + date;
}

}  // namespace kpg
