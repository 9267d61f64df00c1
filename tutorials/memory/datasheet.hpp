#pragma once
// Figures NVIDIA publishes for a few cards, always shown labelled "datasheet": what the
// vendor promises, next to what kpg measures. Latencies are not published and stay empty.

#include <optional>
#include <string>
#include <vector>

namespace kpg::memory {

struct Datasheet {
  std::string id;              // "h100-sxm", the --card value
  std::string name;            // "NVIDIA H100 SXM5 80GB"
  std::string memory;          // "80 GB HBM3"
  double dram_gbs = 0;         // device-memory bandwidth, GB/s
  double l2_mb = 0;            // L2 cache, MB
  int sm_count = 0;
  int smem_per_sm_kb = 0;      // shared memory an SM can give its blocks, KB
  int l1_smem_per_sm_kb = 0;   // combined L1 + shared memory per SM, KB
  double boost_clock_ghz = 0;
  double fp32_tflops = 0;      // non-tensor FP32
  double fp16_tensor_tflops = 0;  // dense FP16/BF16 tensor core, FP32 accumulate (no sparsity)
};

// Every card kpg knows: h100-sxm, h100-pcie, h200, a100.
const std::vector<Datasheet>& datasheets();

// By --card value or alias ("h100" = h100-sxm, "h200-sxm", "a100-sxm"); nullopt if unknown.
std::optional<Datasheet> find_datasheet(const std::string& card);

// By the name the driver reports ("NVIDIA H100 80GB HBM3" -> h100-sxm); nullopt if unknown.
std::optional<Datasheet> datasheet_for_device(const std::string& device_name);

// "h100-sxm, h100-pcie, h200, a100 (aliases: h100, ...)": for --card help and errors.
std::string known_cards();

}  // namespace kpg::memory
