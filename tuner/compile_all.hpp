#pragma once
// `kpg compile --all`: every kernel of an op config, compiled over every candidate of every
// variant at every default shape, without a GPU. Candidates that compile to the same
// (source, arch, defines) are compiled once; compiles run in parallel through the cubin
// cache, with the tuner's exact options, so a later `kpg tune` finds them cached. Every
// launch's kernel must be defined by the compiled image (a missing one is a failure), and
// take each tensor map in a 128-byte parameter.

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "runtime/compiler.hpp"
#include "tuner/config.hpp"
#include "tuner/space.hpp"

namespace kpg {

struct CompileAllOptions {
  std::string arch = "sm_90";  // for spaces that name no `arch`
  DeviceLimits limits;         // prunes the grids as the tuner would (h100_limits() without a GPU)
  std::filesystem::path kernels_dir;
  unsigned jobs = 0;           // compile threads; 0: one per core
  // At most this many unique compiles per op, in enumeration order (0: all). For quick
  // checks of big grids; the report says how many were skipped.
  size_t max_unique_compiles = 0;
  // Compile only the unique compiles whose index (in enumeration order) is shard_index mod
  // shard_count: one shard per MPI rank; merge_shard_reports() puts the reports together.
  size_t shard_index = 0, shard_count = 1;
};

struct CompileFailure {
  std::string candidate;         // "variant/space:K=V,..." of the first candidate needing it
  std::string shape;             // "M=4096,N=781,dtype=f32"
  std::string first_error_line;  // the log's first "error" line (file:line), else its first line
  std::string reproduce;         // "kpg compile /abs/op.cu --arch sm_90 -D K=V ..."
  size_t job = 0;                // index of the unique compile, for merging shards in order
};

struct KernelSpill {
  std::string candidate, shape;
  KernelResources kernel;  // stack_bytes > 0 or spill bytes > 0
  size_t job = 0;
};

// ptxas compiled it, but slower than written (one of ptxas_performance_warnings()).
struct PerformanceWarning {
  std::string candidate, shape, text;
  size_t job = 0;
};

struct OpCompileReport {
  std::string op;  // the config's op, or its file name when it did not load
  std::filesystem::path config_file;
  std::string config_error;  // non-empty: the config did not load; nothing was compiled
  size_t candidates = 0;     // (variant, shape, candidate) after pruning
  size_t unique_compiles = 0;
  size_t skipped_compiles = 0;  // beyond max_unique_compiles
  size_t cache_hits = 0;
  std::vector<CompileFailure> failures;
  std::vector<KernelSpill> spills;
  std::vector<PerformanceWarning> performance_warnings;
  double seconds = 0;

  bool ok() const { return config_error.empty() && failures.empty(); }
};

// The launches of `space` whose kernel the compiled image does not define, one message
// each: "file:line:column: key: no kernel named 'x' in <source> (it defines: a, b; ...)";
// and, where a cubin records its kernels' parameter sizes, each tensor-map argument whose
// kernel parameter is not a 128-byte CUtensorMap.
std::vector<std::string> missing_kernels(const SpaceSpec& space, const CompiledKernel& compiled,
                                         const std::filesystem::path& source);

// Compiles one loaded config. Compile errors are recorded in the report, never thrown.
OpCompileReport compile_op(const OpConfig& config, const Compiler& compiler, const CompileAllOptions& options);

// Loads each config (a load error is recorded in its report) and compiles it.
std::vector<OpCompileReport> compile_all(const std::vector<std::filesystem::path>& config_files,
                                         const Compiler& compiler, const CompileAllOptions& options);

// The reports of every shard of one config, as one process would have reported it: counts
// summed, failures, spills and performance warnings in compile order, the longest shard's
// time.
OpCompileReport merge_shard_reports(const std::vector<OpCompileReport>& shards);

// A report as one line of JSON and back (to send it between MPI ranks); decode throws Error.
std::string encode_json(const OpCompileReport& report);
OpCompileReport decode_compile_report_json(const std::string& text);

// The *.yaml / *.yml files of a folder, sorted by name.
std::vector<std::filesystem::path> config_files_in(const std::filesystem::path& configs_dir);

}  // namespace kpg
