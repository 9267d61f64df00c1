#pragma once
// A watch round on the GPU: each variant's current best configuration (the tuning
// cache's choice for this kernel source; else last round's tuned choice; else the
// nearest tuned shape's or the config default), or a fresh tune when asked (--retune) or
// when the grid changed, compiled through the cubin cache, checked against the float64
// reference and timed; its time printed beside last round's.
//
// The choices of all variants are compiled at once (after an edit the round waits for the
// slowest compile, not their sum). The workload (random inputs, the reference) is kept
// while the config and the shape stay the same, so a kernel edit does not recompute a
// slow CPU reference; it is rebuilt after a wrong result (a kernel may have written over
// its inputs). A fault is reported and marks the outcome gpu_lost: CUDA keeps a fault
// for the life of the process, so only a fresh process can go on (watch_loop restarts).

#include <memory>
#include <ostream>
#include <vector>

#include "cli/watch/gpu_bench.hpp"
#include "cli/watch/round_state.hpp"
#include "tuner/config.hpp"
#include "tuner/workload.hpp"

namespace kpg {

class GpuRound {
 public:
  explicit GpuRound(GpuBench& bench) : bench_(bench) {}

  void run(const OpConfig& config, const Shape& shape, const std::vector<const VariantSpec*>& variants,
           const WatchSettings& settings, RoundHistory& history, RoundOutcome& outcome, std::ostream& out);

  // Must be called before the config the workload was built on goes away.
  void release_workload() { workload_.reset(); }

 private:
  Workload& workload_for(const OpConfig& config, const Shape& shape, const WatchSettings& settings);
  void handle_fault(const std::string& what, RoundOutcome& outcome, std::ostream& out);

  GpuBench& bench_;
  std::unique_ptr<Workload> workload_;
  uint64_t workload_seed_ = 0;
};

}  // namespace kpg
