#pragma once
// The card the library runs on, and the versions it runs with.

#include <cstdint>
#include <string>

#include "kpg/errors.hpp"
#include "kpg/export.hpp"

namespace kpg {

struct DeviceInfo {
  int ordinal = 0;
  std::string name;  // "NVIDIA H100 80GB HBM3"
  std::string arch;  // "sm_90"
  int sm_count = 0;
  int64_t l2_bytes = 0;
  int64_t memory_bytes = 0;
  std::string driver;                  // the NVIDIA driver's version, "580.95.05" ("" if unknown)
  std::string cuda_runtime_of_driver;  // the CUDA version the driver provides, "13.0"
  std::string nvrtc;                   // "13.0"
  std::string kpg_version;             // "0.1.0"
  // What tuning records are keyed by: cards with the same identity share them.
  std::string identity;  // "NVIDIA H100 80GB HBM3|sm_90|132"
};

// Throws NoDeviceError without a driver or GPU, InvalidInput for an ordinal that does not exist.
KPG_API DeviceInfo device_info(int device = 0);

// This library's version, "0.1.0" (no GPU needed).
KPG_API std::string library_version();

}  // namespace kpg
