#pragma once
// What every fusion lesson measures for one shape: the fused and the unfused variant,
// each tuned (or taken from the tuning cache), then launched through the library (a
// Launcher of the variant's kpg::Operation at the chosen configuration, on the study's
// buffers), checked against the float64 reference and timed the same way; bytes counted
// per kernel so the traffic can be compared; and a copy of the op's bytes (inputs read,
// outputs written), timed the same way in the same run: the ceiling of a memory-bound
// kernel (tuner/same_bytes_copy.hpp).

#include <functional>
#include <string>

#include "kpg/operation.hpp"
#include "tuner/same_bytes_copy.hpp"
#include "tuner/tuner.hpp"
#include "tutorials/tutorial.hpp"

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
  int64_t read_bytes = 0;       // of min_bytes: the inputs
  int64_t write_bytes = 0;      // of min_bytes: the outputs
  double flops = 0;
  std::vector<VariantMeasurement> variants;  // in the order asked for
  CopyTiming copy;              // read_bytes read, write_bytes written, same timer and settings
  const VariantMeasurement& get(std::string_view name) const;
  bool all_correct() const;
  // The variant's GB/s (fewest bytes over its time) over the copy's, in percent.
  double percent_of_copy(const VariantMeasurement& v) const { return kpg::percent_of_copy(v.gbs, copy); }
};

// Extra, lesson-specific checks on the outputs of a verified run (e.g. softmax row sums).
using ExtraCheck = std::function<std::string(const Workload&)>;

// Lesson-specific measurements of a correct variant, after it was timed: `launch` runs the
// variant's kernels again on the same buffers (e.g. the memory lesson's DRAM counters).
using ExtraMeasure = std::function<void(const VariantMeasurement&, const LaunchFn& launch)>;

class FusionStudy {
 public:
  FusionStudy(const TutorialSession& session, const OpConfig& config, TuneOptions options);

  FusionMeasurement measure(const Shape& shape, const std::vector<std::string>& variants,
                            const ExtraCheck& extra = {}, double flops = 0,
                            const ExtraMeasure& extra_measure = {}) const;

  // A copy reading `read_bytes` and writing `write_bytes`, timed as measure() times variants.
  CopyTiming time_copy(int64_t read_bytes, int64_t write_bytes) const;

 private:
  TimingSettings settings() const;

  const Gpu& gpu_;
  const Tuner& tuner_;
  const OperationOptions& operation_dirs_;
  const OpConfig& config_;
  TuneOptions options_;
};

// A "% of copy" table cell: "97.3", or, above 100 %, a cell that says the figure is a
// measurement defect rather than a result.
std::string copy_percent_cell(double percent);
// Above 100 % of a copy of the same bytes: prints a warning line naming `what` (e.g. "softmax
// 4096x4096 f32 fused") and returns true. A kernel cannot move bytes faster than a copy of
// them; such a figure means the timing is wrong.
bool warn_if_above_copy(const std::string& what, double percent);

// The Operation of `variant` on the YAML `config` was loaded from, with the tutorial's
// kernels, configs and cache folders: what a lesson launches its measured kernels through.
Operation open_operation(const OpConfig& config, const std::string& variant, OperationOptions dirs);

int64_t counted_kernel_bytes(const OpConfig& config, const VariantSpec& variant, const Candidate& chosen,
                             const Workload& workload);

}  // namespace kpg
