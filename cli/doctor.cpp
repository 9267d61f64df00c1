// kpg doctor: what kpg will use (versions, folders, CUPTI, driver, devices). Exits 0 without a GPU.

#include <cstdio>
#include <iostream>
#include <string>

#include "cli/core/command.hpp"
#include "runtime/compiler.hpp"
#include "runtime/device.hpp"
#include "runtime/driver.hpp"
#include "runtime/error.hpp"
#include "runtime/version.hpp"
#include "profiling/dram_counter.hpp"

namespace kpg {
namespace {

std::string folder_text(const std::filesystem::path& p) {
  std::error_code ec;
  return p.string() + (std::filesystem::is_directory(p, ec) ? "" : "  (missing)");
}

void row(const std::string& key, const std::string& value) {
  std::printf("  %-24s %s\n", key.c_str(), value.c_str());
}

std::string mib(int64_t bytes) { return std::to_string(bytes / (1024 * 1024)) + " MiB"; }
std::string kib(int64_t bytes) { return std::to_string(bytes / 1024) + " KiB"; }

void print_device(const DeviceProperties& p) {
  std::printf("device %d: %s\n", p.ordinal, p.name.c_str());
  row("arch", p.arch() + " (compute capability " + std::to_string(p.cc_major) + "." + std::to_string(p.cc_minor) + ")");
  row("uuid", p.uuid);
  row("SMs", std::to_string(p.sm_count));
  row("total memory", mib(p.total_memory));
  row("L2 cache", kib(p.l2_bytes));
  row("smem per block", kib(p.smem_per_block));
  row("smem per block (opt-in)", kib(p.smem_per_block_optin));
  row("smem per SM", kib(p.smem_per_sm));
  row("max threads per block", std::to_string(p.max_threads_per_block));
  row("max threads per SM", std::to_string(p.max_threads_per_sm));
  row("max blocks per SM", std::to_string(p.max_blocks_per_sm));
  row("registers per block", std::to_string(p.regs_per_block));
  row("registers per SM", std::to_string(p.regs_per_sm));
  row("SM clock", std::to_string(p.clock_khz / 1000) + " MHz");
  row("memory clock", std::to_string(p.memory_clock_khz / 1000) + " MHz");
  row("memory bus", std::to_string(p.bus_width_bits) + " bits");
  char bw[64];
  std::snprintf(bw, sizeof bw, "%.0f GB/s (2 x clock x bus; not measured)", p.datasheet_bandwidth_gbs());
  row("datasheet bandwidth", bw);
}

int run_doctor(const CliContext& ctx) {
  std::printf("kpg %s\n", kpg::version());
  row("NVRTC", cuda_version_text(nvrtc_version()));
  const auto toolkit = cuda_include_dir();
  row("toolkit include dir", toolkit.empty() ? "not found (set CUDA_HOME)" : toolkit.string());
  row("kernels dir", folder_text(ctx.kernels_dir()));
  row("configs dir", folder_text(ctx.configs_dir()));
  try {
    row("cache dir", ctx.cache_dir().string());
  } catch (const InputError& e) {  // e.g. an unsafe private folder: doctor says so and goes on
    row("cache dir", std::string("unusable: ") + e.what());
  }
  // Loading CUPTI needs no GPU; the memory lesson's measured DRAM bytes need it.
  const memory::DramCounter cupti;
  row("CUPTI", cupti.available() ? cupti.describe() : cupti.why_unavailable());

  std::string reason;
  if (!driver_available(&reason)) {
    row("driver", "no GPU driver found (" + reason + ")");
    std::printf("no GPU: compile, cache, watch (compile only) and tutorial memory-analysis --theory work; "
                "other commands exit 1\n");
    return kExitOk;
  }
  const int version = driver_version();
  row("driver", "CUDA " + cuda_version_text(version) + " (" + std::to_string(version) + ")");
  const int count = Device::count();
  row("devices", std::to_string(count));
  for (int i = 0; i < count; ++i) print_device(Device(i).props());
  return kExitOk;
}

}  // namespace

void add_doctor_command(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("doctor", "Show versions, folders, the driver and every device's properties");
  cmd->callback([&ctx] { ctx.action = [&ctx] { return run_doctor(ctx); }; });
}

}  // namespace kpg
