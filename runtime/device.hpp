#pragma once
// A CUDA device and the properties kernels are tuned against, read once at construction.

#include <cuda.h>

#include <cstdint>
#include <string>

namespace kpg {

struct DeviceProperties {
  int ordinal = 0;
  std::string name;
  int cc_major = 0, cc_minor = 0;
  int sm_count = 0;
  int64_t l2_bytes = 0;
  int smem_per_block = 0;        // without opt-in (48 KB)
  int smem_per_block_optin = 0;  // with CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES
  int smem_per_sm = 0;
  int64_t total_memory = 0;
  int memory_clock_khz = 0;
  int bus_width_bits = 0;
  int max_threads_per_block = 0;
  int regs_per_block = 0;
  int regs_per_sm = 0;
  int max_threads_per_sm = 0;
  int max_blocks_per_sm = 0;
  int clock_khz = 0;
  std::string uuid;  // "GPU-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", as nvidia-smi prints it

  std::string arch() const;  // "sm_90"
  // Double data rate: 2 * memory clock * bus width in bytes. A datasheet number, not a measurement.
  double datasheet_bandwidth_gbs() const;
};

class Device {
 public:
  static int count();  // throws NoDriverError without a driver
  explicit Device(int ordinal = 0);

  const DeviceProperties& props() const { return props_; }
  CUdevice handle() const { return handle_; }

 private:
  CUdevice handle_ = 0;
  DeviceProperties props_;
};

}  // namespace kpg
