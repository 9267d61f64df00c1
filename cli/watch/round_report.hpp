#pragma once
// The words and numbers of a watch round: a variant's time beside last round's, its
// compile time, durations. Pure functions of numbers, so tests pin the wording down.

#include <optional>
#include <set>
#include <filesystem>
#include <string>
#include <vector>

#include "runtime/compiler.hpp"

namespace kpg {

struct TimedRun {
  std::string candidate_id;
  double median_ms = 0;
  double spread_pct = 0;  // run-to-run spread, (p90 - p10) / median
};

// "0.0471 ms" on the first round; "0.0495 ms -> 0.0471 ms  (4.8% faster)" after, with
// ", within noise: spread 6.1%" appended when the change is inside the larger spread.
std::string time_change(const std::optional<TimedRun>& before, const TimedRun& now);

// "compiled in 812 ms (cubin cache miss)", plus "; last round 790 ms" when there was one.
std::string compile_change(const std::optional<double>& before_ms, const CompiledKernel& now);

// "40 registers, no spills" for one kernel; "softmax_a 40, softmax_b 32 registers, ..." for several.
// With `launched` (kernel names as the YAML's launches give them), only those kernels
// count: a source file holds the kernels of every variant.
std::string resource_summary(const std::vector<KernelResources>& kernels, const std::vector<std::string>& launched = {});

// "3.2 ms" below 10 ms, "412 ms" below 10 s, else "12.3 s".
std::string format_duration_ms(double ms);

// "softmax.cu, kpg_common.cuh": file names, in order.
std::string file_names(const std::set<std::filesystem::path>& files);

// "THREADS=256,VEC=4" from "space:THREADS=256,VEC=4"; "no params" when it has none.
std::string params_of(const std::string& candidate_id);

}  // namespace kpg
