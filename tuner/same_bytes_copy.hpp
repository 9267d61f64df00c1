#pragma once
// The ceiling of a memory-bound kernel: a copy of the same bytes, timed the same way.
// A kernel that reads R bytes and writes W bytes cannot be faster than a plain streaming
// kernel that reads R bytes and writes W bytes (16-byte loads and stores, the timer's own
// kpg_stream, stream_kernels.hpp), timed by the same Timer with the same settings in the
// same run, in each launch shape of StreamKernels::Grid (but the resident one) with 256- and
// 64-thread blocks, each with plain and with evict-first stores; where R and W are (nearly)
// equal the driver's copy of the same total bytes is timed too. The fastest of them is the
// ceiling. "% of copy" is the kernel's speed over that copy's; above 100 % the timing is wrong,
// not the kernel fast.

#include <cuda.h>

#include <cstdint>
#include <string>
#include <vector>

#include "tuner/timer.hpp"

namespace kpg {

struct CopyTiming {
  int64_t read_bytes = 0;   // as moved: rounded up to 16 bytes
  int64_t write_bytes = 0;
  Timing timing;
  std::string copier;  // whichever copy was fastest, named as in `copiers`
  struct Copier {
    std::string name;  // StreamKernels::CopyPlan::name() or "cuMemcpyDtoD"
    double median_ms = 0;
  };
  std::vector<Copier> copiers;  // every copy timed, in the order timed
  // (read + write bytes) / median time, in GB/s.
  double gbs() const;
};

// Times kpg_stream reading `read_bytes` from one buffer and writing `write_bytes` to another
// (both allocated here, apart from everything else). Throws Error, in one line, when a size is
// negative, both are zero or the device lacks the memory. Needs the timer's context current.
CopyTiming time_same_bytes_copy(const Timer& timer, int64_t read_bytes, int64_t write_bytes,
                                const TimingSettings& settings, CUstream stream);

// Where read and write differ by at most this fraction of the larger, the driver's copy stands
// in as well: it moves (R + W) / 2 bytes each way, the same total, its share of reads within a
// quarter of this fraction of the kernel's. A row-wise norm reads its weights and writes its row
// statistics beside x and y, so its R and W are never quite equal, and at some sizes the
// driver's copy is the fastest there is.
inline constexpr double kDriverCopyMismatch = 0.02;

// The bytes the driver's copy moves each way for a ceiling of `read_bytes` and `write_bytes`:
// their mean where they are within kDriverCopyMismatch of each other, else 0 (not timed).
int64_t driver_copy_bytes(int64_t read_bytes, int64_t write_bytes);

// cuMemcpyDtoDAsync of `bytes`, timed the same way: the driver's copy, for comparison with
// kpg_stream (both count bytes read + written).
CopyTiming time_cumemcpy(const Timer& timer, int64_t bytes, const TimingSettings& settings, CUstream stream);

// 100 x gbs / copy GB/s; 0 when the copy has no time. Above 100: a measurement defect.
double percent_of_copy(double gbs, const CopyTiming& copy);

}  // namespace kpg
