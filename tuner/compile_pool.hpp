#pragma once
// Compile, the tuner's second stage: candidates compiled on worker threads (through the
// cubin cache) in the order the GPU will take them, so that candidate k can be verified
// and timed while later ones still compile. NVRTC runs in-process for the whole compile,
// so threads, not processes, are enough.

#include <atomic>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <future>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "runtime/compiler.hpp"
#include "tuner/config.hpp"
#include "tuner/space.hpp"

namespace kpg {

// One candidate's compile: the kernel, or why there is none.
struct CompileOutcome {
  std::optional<CompiledKernel> kernel;
  std::string error;  // "compile error: <the log's first error line>" when kernel is empty
};

// Compiles one file; a CompileError becomes the outcome's error (any other error throws).
CompileOutcome compile_outcome(const Compiler& compiler, const std::filesystem::path& source,
                               const CompileOptions& options);

// What the candidates of one config at one shape compile, and with what options.
// How the tuner compiles `c`: its space's arch (else `device_arch`, e.g. "sm_90"); its params
// and the space's defines as -D (compile_defines); headers from the kernels folder, then its
// file's folder. `kpg compile --all` and `kpg watch` compile with the same options.
CompileOptions candidate_compile_options(const OpConfig& config, const Candidate& c, const Shape& shape,
                                         const DeviceLimits& limits, const std::string& device_arch,
                                         const std::filesystem::path& kernels_dir);

class CandidateCompiler {
 public:
  // `device_arch` ("sm_90"): the target of spaces that name none.
  CandidateCompiler(const Compiler& compiler, const OpConfig& config, const Shape& shape, const DeviceLimits& limits,
                    std::string device_arch, std::filesystem::path kernels_dir);

  // The candidate's kernel file: its space's.
  const std::filesystem::path& source(const Candidate& c) const;
  // candidate_compile_options with this compiler's device arch and kernels folder.
  CompileOptions options(const Candidate& c) const;
  CompileOutcome operator()(const Candidate& c) const { return compile_outcome(compiler_, source(c), options(c)); }
  const Compiler& compiler() const { return compiler_; }

 private:
  const Compiler& compiler_;
  const OpConfig& config_;
  Shape shape_;
  DeviceLimits limits_;
  std::string device_arch_;
  std::filesystem::path kernels_dir_;
};

// The line of an NVRTC log that says what went wrong: the first naming an error, else the first.
std::string first_error_line(const std::string& log);

// Runs compile(0), compile(1), ... on `jobs` threads (at least one, at most count), in
// index order; take(k) waits for the k-th. Destroying the pool stops handing out work and
// joins the threads (a compile under way finishes first).
class CompilePool {
 public:
  CompilePool(size_t count, unsigned jobs, std::function<CompileOutcome(size_t)> compile);
  CompilePool(const CompilePool&) = delete;
  CompilePool& operator=(const CompilePool&) = delete;
  ~CompilePool();

  // The k-th outcome, once; rethrows what compile(k) threw.
  CompileOutcome take(size_t k);
  size_t finished() const { return finished_; }

 private:
  void work();

  std::function<CompileOutcome(size_t)> compile_;
  std::vector<std::promise<CompileOutcome>> promises_;
  std::vector<std::future<CompileOutcome>> futures_;
  std::vector<std::thread> workers_;
  std::atomic<size_t> next_{0}, finished_{0};
  std::atomic<bool> stop_{false};
};

}  // namespace kpg
