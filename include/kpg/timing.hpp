#pragma once
// kpg's GPU timer for your own launches: each repetition starts from a clean L2 and is
// charged the write-back of what it wrote (docs/design/timing.md), the median taken over
// repetitions after warm-up. The timer's buffers (four times the L2) are allocated on the
// first call and kept for the life of the process. Timings run one at a time.

#include <cuda.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "kpg/errors.hpp"
#include "kpg/export.hpp"

namespace kpg {

struct TimeOptions {
  double warmup_ms = 10;  // at least this much GPU time of warm-up repetitions
  double rep_ms = 50;     // aim for this much GPU time of timed repetitions
  int min_reps = 10, max_reps = 1000;
  // Replay the launch from a CUDA graph captured once (thread-local capture mode): the
  // launch must then be capturable, on a stream other than the legacy default stream.
  // Off: launched anew each repetition.
  bool graph = false;
  int device = 0;
};

struct TimeResult {
  double median_ms = 0, min_ms = 0;
  double spread_pct = 0;  // (p90 - p10) / median of the samples, in percent
  int reps = 0;
  double launch_ms = 0;     // median of the launch alone, write-back not charged
  double writeback_ms = 0;  // median write-back charged after it
  bool graph_replay = false;
  std::string method;  // "kpg-writeback-charged"
};

// Times `launch`, which enqueues work on the stream it is given (always `stream`, a stream
// of the device) and must not synchronise it.
KPG_API TimeResult time(const std::function<void(CUstream)>& launch, CUstream stream,
                        const TimeOptions& options = {});

struct CopyResult : TimeResult {
  int64_t read_bytes = 0, write_bytes = 0;  // as moved: rounded up to 16 bytes
  double gbs = 0;                           // (read + write bytes) / median, GB/s
  std::string copier;  // the fastest copy, whose time this is: "kpg_stream" (with how it ran) or "cuMemcpyDtoD"
  struct Copier {
    std::string name;
    double median_ms = 0;
  };
  std::vector<Copier> copiers;  // every copy timed, in the order timed; the fastest is `copier`
};

// The ceiling of a memory-bound kernel: a streaming copy that reads `read_bytes` and writes
// `write_bytes` (16-byte accesses, its buffers allocated for the call), timed the same way.
KPG_API CopyResult same_bytes_copy(int64_t read_bytes, int64_t write_bytes, CUstream stream,
                                   const TimeOptions& options = {});

}  // namespace kpg
