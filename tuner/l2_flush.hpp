#pragma once
// The L2 states around one timed launch (timer.hpp). Two buffers of twice the L2 each, A and
// B, apart from each other and from every buffer a kernel uses, read by the timer's own PTX
// kernel (stream_kernels.hpp):
//   flush()          reads B: evicts everything, writes back every dirty line, and leaves L2
//                    holding B's clean lines;
//   reference_read() reads A: the same reading from that clean state, timed on its own.
// A repetition is reference_read | launch | flush. The flush after the launch writes back
// what the launch left dirty in L2, and so takes longer than the reference read by that
// write-back: the timer charges the difference to the launch. The flush also leaves L2 clean
// for the next repetition. Reading, not writing, matters: a flush that writes (a memset, as
// Triton's do_bench does) leaves L2 full of dirty lines that the next timed kernel pays for.

#include <cuda.h>

#include <cstddef>

#include "runtime/buffer.hpp"
#include "runtime/device.hpp"
#include "tuner/stream_kernels.hpp"

namespace kpg {

class L2Flush {
 public:
  // Allocates A and B (twice the device's L2 each, 1 MB at least) and loads the kernels.
  // Needs a current context.
  explicit L2Flush(const DeviceProperties& props);

  void flush(CUstream stream) const;
  void reference_read(CUstream stream) const;
  // Bytes each of the two reads reads.
  size_t read_bytes() const { return flush_.bytes(); }
  const StreamKernels& kernels() const { return kernels_; }

 private:
  StreamKernels kernels_;
  DeviceBuffer reference_, flush_;
};

}  // namespace kpg
