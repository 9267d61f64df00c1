#pragma once
// An op of kpg (configs/<op>.yaml) launched from your own program on your own device
// buffers and stream, with the configuration the tuner chose for this card.
//
//   kpg::Operation softmax = kpg::Operation::open("softmax");
//   kpg::Problem problem{{{"M", 4096}, {"N", 781}}, "f16"};
//   softmax.launch(problem, {{"x", x}, {"y", y}}, stream);
//
// The configuration (docs/USING_KPG.md): the tuning cache's best for this card, kernel
// source and shape; else the best of the nearest tuned shape; else the YAML's default
// (the rule of `kpg run`). Nothing is tuned unless OperationOptions::tune_on_first_use
// is set. Compiled kernels come from the cubin cache (compiled and stored there on a miss).
// The device's primary context is used (the one the CUDA runtime and PyTorch use).
//
// Memory: the library allocates device memory only for an op's scratch buffers (YAML
// `scratch: true`) that the chosen configuration uses, once per Operation and problem,
// zeroed; verify() and tune() allocate their own inputs and outputs for their duration.

#include <cuda.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "kpg/errors.hpp"
#include "kpg/export.hpp"

namespace kpg {

// The dims of one problem, by the YAML's names (flags such as CAUSAL are 0 or 1), and its
// element type: f32, f16 or bf16 (one of the op's `dtypes`).
struct Problem {
  std::map<std::string, int64_t> dims;
  std::string dtype = "f32";
};

// Where a configuration came from; `given`: named by the caller (prepare's config_id).
enum class ConfigSource { tuned_now, tuning_cache, nearest_tuned_shape, config_default, given };
// "tuned now", "tuning cache", "nearest tuned shape", "config default", "given".
KPG_API const char* to_string(ConfigSource source);

// The configuration a launch uses and where it came from.
struct ConfigChoice {
  std::string id;  // as in the tuning cache: "warp_per_row:WARPS=4"
  std::string variant;
  ConfigSource source = ConfigSource::config_default;
  std::string detail;  // nearest_tuned_shape: the tuned shape borrowed, "M<=4096,N=781,dtype=f32"
  std::map<std::string, int64_t> params;
};

enum class BufferRole { input, output, scratch };

// One buffer of an op at a problem: row-major, contiguous.
struct BufferInfo {
  std::string name;
  BufferRole role = BufferRole::input;
  std::string dtype;          // f32, f16, bf16 or i32
  std::vector<int64_t> dims;  // at the problem
  int64_t elements() const {
    int64_t n = 1;
    for (const int64_t d : dims) n *= d;
    return n;
  }
  int64_t bytes() const { return elements() * (dtype == "f16" || dtype == "bf16" ? 2 : 4); }
};

// The result of verify(): the chosen configuration run once on fresh random inputs and
// compared with the op's float64 reference, within the YAML's tolerance for the dtype.
struct VerifyResult {
  bool ok = false;
  ConfigChoice config;
  std::string details;  // "ok", or per output what was off: "y: 3 of 4096 elements off, ..."
};

// What tune() did: every candidate of the variant's grid at the problem, checked against the
// reference and timed, each result recorded in the tuning cache.
struct TuneSummary {
  struct Best {
    std::string id;
    double median_ms = 0, min_ms = 0, spread_pct = 0;
    int reps = 0;
  };
  std::optional<Best> best;  // none when no candidate passed
  ConfigChoice chosen;       // what launches use from now on
  size_t candidates = 0;     // in the grid at this problem, after pruning
  size_t timed = 0, failed = 0;  // now (records already in the cache are not timed again)
};

struct OperationOptions {
  // Empty or "fused": the op's variant named fused, else its first (attention: flash).
  std::string variant;
  int device = 0;  // CUDA device ordinal
  // Empty: $KPG_KERNELS_DIR / $KPG_CONFIGS_DIR, else the installed share/kpg beside this
  // library (<prefix>/lib/libkpg.so reads <prefix>/share/kpg).
  std::string kernels_dir, configs_dir;
  // Empty: $KPG_CACHE_DIR, else $XDG_CACHE_HOME/kpg, else ~/.cache/kpg (as the kpg command).
  std::string cache_dir;
  // Tune a problem whose shape has no record for this card on its first launch (records
  // written to the tuning cache). Off: nothing is ever timed or recorded.
  bool tune_on_first_use = false;
  size_t tune_budget = 0;  // with tune_on_first_use: time at most this many candidates; 0: all
};

class Operation;

// One Operation at one problem, ready to launch: configuration chosen, module loaded,
// launch geometry evaluated, scratch allocated. Launching only packs the pointers. Owned by
// its Operation (valid as long as it is); launches of one Launcher are serialised.
class KPG_API Launcher {
 public:
  const Problem& problem() const;
  const ConfigChoice& config() const;
  // The op's inputs, then its outputs, in the YAML's order: launch() takes one pointer
  // for each, in this order.
  const std::vector<BufferInfo>& io() const;
  // The scalars the op takes (YAML `scalars:`, e.g. eps), with their values at this
  // problem: launch() may override them, in this order.
  const std::vector<std::pair<std::string, double>>& scalars() const;

  // Enqueues the op on `stream` (a CUstream of the op's device; nullptr: the legacy default
  // stream). `pointers`: `count` device pointers, one per io() buffer, each 16-byte aligned.
  // `scalar_values`: nullptr, or one value per scalars() entry. Does not synchronise.
  void launch(const CUdeviceptr* pointers, size_t count, CUstream stream,
              const double* scalar_values = nullptr);
  // "softmax_warp<<<(1024,1,1),(128,1,1),0>>>": each kernel the launch enqueues.
  std::string describe() const;

  struct State;
  explicit Launcher(std::unique_ptr<State> state);
  ~Launcher();
  Launcher(const Launcher&) = delete;
  Launcher& operator=(const Launcher&) = delete;

 private:
  std::unique_ptr<State> state_;
};

class KPG_API Operation {
 public:
  // `name_or_yaml`: an op name ("softmax": <configs>/softmax.yaml) or a path to a .yaml.
  // Reads and validates the YAML only: works without a GPU. Throws InvalidInput.
  static Operation open(const std::string& name_or_yaml, const OperationOptions& options = {});

  const std::string& name() const;
  const std::string& variant() const;
  std::vector<std::string> variants() const;
  std::vector<std::string> dims() const;   // every dim, in the YAML's order
  std::vector<std::string> flags() const;  // the dims that are 0/1 switches (CAUSAL)
  std::vector<std::string> dtypes() const;
  std::vector<std::string> inputs() const;   // input buffers, in the YAML's order
  std::vector<std::string> outputs() const;  // output buffers, in the YAML's order
  std::vector<std::string> scalar_names() const;

  // The problem of launching on inputs of these dims (one entry per input, in inputs()
  // order): each dim read where an input's YAML shape names it alone, `given` adding flags
  // and any dim no input shows. An input with more dims than its YAML shape has its leading
  // dims merged into the first (a contiguous [B, T, C] is the [M, N] of M = B*T). Every
  // input's dims are then checked against its YAML shape. Throws InvalidInput.
  Problem problem_for(const std::vector<std::vector<int64_t>>& input_dims, const std::string& dtype,
                      const std::map<std::string, int64_t>& given = {}) const;
  // Every buffer at the problem (inputs, outputs, scratch), in the YAML's order. Checks
  // the problem (InvalidInput).
  std::vector<BufferInfo> buffers(const Problem& problem) const;
  // The fewest bytes the op must move: each input read once, each output written once.
  int64_t bytes(const Problem& problem) const;
  // The arithmetic of one run where the YAML declares it (`flops:`).
  std::optional<double> flops(const Problem& problem) const;

  // The configuration launches at this problem use (tuning it first when
  // tune_on_first_use is set and the cache has no record of this shape). Needs the GPU.
  ConfigChoice config(const Problem& problem);
  // The Launcher for this problem, made on first use and kept: the configuration chosen as
  // config() does, or `config_id` ("space:K=V,..."; params not given take the space's
  // default) when given.
  Launcher& prepare(const Problem& problem, const std::string& config_id = "");
  // prepare(problem).launch() with the pointers named: every input and output.
  void launch(const Problem& problem, const std::map<std::string, CUdeviceptr>& buffers, CUstream stream,
              const std::map<std::string, double>& scalars = {});

  // Runs the chosen configuration (or `config_id`) once on fresh random inputs of its own
  // and compares its outputs with the float64 reference. seed 0: a fresh seed.
  VerifyResult verify(const Problem& problem, uint64_t seed = 0, const std::string& config_id = "");
  // Tunes the variant at the problem (budget 0: every candidate) and records the results in
  // the tuning cache. Candidates run in this process: one that faults leaves the CUDA
  // context unusable for the rest of the process (`kpg tune` isolates them in workers).
  TuneSummary tune(const Problem& problem, size_t budget = 0);

  struct State;
  explicit Operation(std::unique_ptr<State> state);
  ~Operation();
  Operation(Operation&&) noexcept;
  Operation& operator=(Operation&&) noexcept;
  Operation(const Operation&) = delete;
  Operation& operator=(const Operation&) = delete;

 private:
  std::unique_ptr<State> state_;
};

}  // namespace kpg
