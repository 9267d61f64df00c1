#pragma once
// What every fusion lesson measures for one shape: the fused and the unfused variant,
// each tuned (or taken from the tuning cache), checked against the float64 reference
// and timed the same way; bytes counted per kernel so the traffic can be compared.

#include <functional>
#include <string>

#include "tuner/tuner.hpp"

namespace kpg {

struct VariantMeasurement {
  std::string variant;
  std::string config;           // chosen candidate id
  std::string choice_source;    // tuned now / tuning cache / ...
  std::string launches;         // kernel<<<grid,block,smem>>>; ...
  int kernel_launches = 0;
  Timing timing;
  CheckReport check;
  double gbs = 0;               // the op's fewest bytes over the median time
  int64_t bytes_counted = 0;    // each buffer argument of each kernel read or written once
  double tflops = 0;            // when the study has a flop count
};

struct FusionMeasurement {
  Shape shape;
  int64_t min_bytes = 0;        // each input read once, each output written once
  double flops = 0;
  std::vector<VariantMeasurement> variants;  // in the order asked for
  const VariantMeasurement& get(std::string_view name) const;
  bool all_correct() const;
};

// Extra, lesson-specific checks on the outputs of a verified run (e.g. softmax row sums).
using ExtraCheck = std::function<std::string(const Workload&)>;

// Lesson-specific measurements of a correct variant, after it was timed: `launch` runs the
// variant's kernels again on the same buffers (e.g. the memory lesson's DRAM counters).
using ExtraMeasure = std::function<void(const VariantMeasurement&, const LaunchFn& launch)>;

class FusionStudy {
 public:
  FusionStudy(const Gpu& gpu, const Tuner& tuner, const OpConfig& config, TuneOptions options);

  FusionMeasurement measure(const Shape& shape, const std::vector<std::string>& variants,
                            const ExtraCheck& extra = {}, double flops = 0,
                            const ExtraMeasure& extra_measure = {}) const;

 private:
  const Gpu& gpu_;
  const Tuner& tuner_;
  const OpConfig& config_;
  TuneOptions options_;
};

// Device-to-device copy bandwidth (bytes read + written over time), measured with the
// same timer as the kernels: the ceiling every memory-bound kernel is compared with.
double measure_copy_bandwidth_gbs(const Gpu& gpu, size_t bytes = size_t{1} << 30);

int64_t counted_kernel_bytes(const OpConfig& config, const VariantSpec& variant, const Candidate& chosen,
                             const Workload& workload);

}  // namespace kpg
