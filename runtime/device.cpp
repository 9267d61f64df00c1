#include "runtime/device.hpp"

#include <array>
#include <cstdio>

#include "runtime/driver.hpp"
#include "runtime/error.hpp"

namespace kpg {
namespace {

int attribute(CUdevice device, CUdevice_attribute which) {
  int value = 0;
  KPG_CU_CHECK(driver().cuDeviceGetAttribute(&value, which, device));
  return value;
}

std::string format_uuid(const CUuuid& id) {
  std::string out = "GPU-";
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    std::array<char, 3> byte{};
    std::snprintf(byte.data(), byte.size(), "%02x", static_cast<unsigned char>(id.bytes[i]));
    out += byte.data();
  }
  return out;
}

}  // namespace

std::string DeviceProperties::arch() const {
  return "sm_" + std::to_string(cc_major) + std::to_string(cc_minor);
}

double DeviceProperties::datasheet_bandwidth_gbs() const {
  return 2.0 * memory_clock_khz * 1e3 * (bus_width_bits / 8.0) / 1e9;
}

int Device::count() {
  int n = 0;
  KPG_CU_CHECK(driver().cuDeviceGetCount(&n));
  return n;
}

Device::Device(int ordinal) {
  const int n = count();
  if (ordinal < 0 || ordinal >= n) {
    throw Error("device " + std::to_string(ordinal) + " does not exist (" + std::to_string(n) +
                " CUDA device(s) visible)");
  }
  const auto& d = driver();
  KPG_CU_CHECK(d.cuDeviceGet(&handle_, ordinal));

  auto& p = props_;
  p.ordinal = ordinal;
  std::array<char, 256> name{};
  KPG_CU_CHECK(d.cuDeviceGetName(name.data(), static_cast<int>(name.size()), handle_));
  p.name = name.data();
  p.cc_major = attribute(handle_, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
  p.cc_minor = attribute(handle_, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
  p.sm_count = attribute(handle_, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
  p.l2_bytes = attribute(handle_, CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE);
  p.smem_per_block = attribute(handle_, CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK);
  p.smem_per_block_optin = attribute(handle_, CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN);
  p.smem_per_sm = attribute(handle_, CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_MULTIPROCESSOR);
  size_t total = 0;
  KPG_CU_CHECK(d.cuDeviceTotalMem(&total, handle_));
  p.total_memory = static_cast<int64_t>(total);
  p.memory_clock_khz = attribute(handle_, CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE);
  p.bus_width_bits = attribute(handle_, CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH);
  p.max_threads_per_block = attribute(handle_, CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK);
  p.regs_per_block = attribute(handle_, CU_DEVICE_ATTRIBUTE_MAX_REGISTERS_PER_BLOCK);
  p.regs_per_sm = attribute(handle_, CU_DEVICE_ATTRIBUTE_MAX_REGISTERS_PER_MULTIPROCESSOR);
  p.max_threads_per_sm = attribute(handle_, CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_MULTIPROCESSOR);
  p.max_blocks_per_sm = attribute(handle_, CU_DEVICE_ATTRIBUTE_MAX_BLOCKS_PER_MULTIPROCESSOR);
  p.clock_khz = attribute(handle_, CU_DEVICE_ATTRIBUTE_CLOCK_RATE);
  CUuuid id{};
  KPG_CU_CHECK(d.cuDeviceGetUuid(&id, handle_));
  p.uuid = format_uuid(id);
}

}  // namespace kpg
