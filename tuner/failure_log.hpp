#pragma once
// What reproduces a failed candidate after the kernel file has been edited again: a copy
// of the source as it was and one line per failure (shape, candidate, why, NVRTC options)
// under <cache>/failed/<op>-<source hash>/. `kpg tune` prints the `kpg run` command too.

#include <filesystem>
#include <functional>
#include <string>

#include "runtime/compiler.hpp"
#include "tuner/compile_pool.hpp"
#include "tuner/tune_plan.hpp"
#include "tuner/tuning_cache.hpp"

namespace kpg {

// The folder that keeps the failures of one op at one kernel-source version.
std::filesystem::path failure_dir(const TuningCache& cache, const CacheKey& key);

// Copies `source` there (once) and appends the record's line to failures.txt. Never
// throws: a failure to keep it is logged, the tuning goes on.
void keep_failure(TuningCache& cache, const CacheKey& key, const TuneRecord& record,
                  const std::filesystem::path& source, const CompileOptions* options);

// What a tune keeps of each failed record (TuneLog's FailureKeeper): keep_failure() with
// the candidate's source and options as `compile` builds them.
std::function<void(const TuneRecord&)> failure_keeper(TuningCache& cache, const CacheKey& key, const TunePlan& plan,
                                                      const CandidateCompiler& compile);

// "nvrtc --gpu-architecture=sm_90 -DK=V ..." of those options, for the log line.
std::string describe_options(const CompileOptions& options);

}  // namespace kpg
