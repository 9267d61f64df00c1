#pragma once
// Empties L2 before each timed repetition without leaving it dirty. Writing a buffer larger
// than L2 (a memset, as Triton's do_bench does) evicts a kernel's data but fills L2 with
// dirty lines, and the timed kernel then pays for writing them back: about 6 us a launch on
// the H100, 9 % of a 64 MB copy (docs/notes/memory_bound_kernels.md, "The L2 flush").
// Reading a buffer of twice the L2 evicts the same data, and the previous repetition's dirty
// lines are written back inside the flush, so a kernel's time is its own bytes' only.

#include <cuda.h>

#include <cstdint>

#include "runtime/buffer.hpp"
#include "runtime/device.hpp"
#include "runtime/module.hpp"

namespace kpg {

class L2Flush {
 public:
  // A buffer of twice the device's L2 (1 MB at least); loads the read kernel (PTX, JIT-compiled
  // by the driver, no NVRTC). Needs a current context.
  explicit L2Flush(const DeviceProperties& props);

  // Reads the whole buffer on `stream`.
  void run(CUstream stream) const;

  // Reads `chunks` 16-byte chunks from `ptr`. A thread stores the xor of the words it read
  // at ptr[0] only when that xor is kNeverXor, which keeps the loads alive; tests use it to
  // see that every chunk, and no chunk past them, is read.
  void read(CUdeviceptr ptr, uint64_t chunks, CUstream stream) const;
  static constexpr uint32_t kNeverXor = 0x9e3779b9u;

  // The read kernel's PTX (`kpg_l2_read`), for tests that assemble it without a GPU.
  static const char* ptx();

 private:
  DeviceBuffer buffer_;
  Module module_;
  Function read_;
  unsigned blocks_;
};

}  // namespace kpg
