#pragma once
// The timer's own kernels, hand-written in PTX so that timing needs no compiler (the driver
// JIT-compiles sm_70 PTX for every later GPU):
//   kpg_stream(src, dst, read_chunks, write_chunks): reads read_chunks 16-byte chunks of src
//     and writes write_chunks chunks of dst, chunk i of dst = chunk i of src (zeros past the
//     chunks read). With write_chunks = 0 it is the L2 read of the timer (l2_flush.hpp); with
//     both set, the copy of the same bytes a memory-bound kernel is compared with
//     (same_bytes_copy.hpp).
//   kpg_hold(ns): one thread waits `ns` nanoseconds of GPU time (%globaltimer), so that the
//     host can enqueue a slow launch before the GPU reaches it (timer.cpp).

#include <cuda.h>

#include <cstdint>

#include "runtime/device.hpp"
#include "runtime/module.hpp"

namespace kpg {

class StreamKernels {
 public:
  // Loads the PTX module. Needs a current context.
  explicit StreamKernels(const DeviceProperties& props);

  // Reads `chunks` 16-byte chunks from `ptr`. Every thread xor-folds the words it read and
  // did not write and stores that xor at src word 0 only when it equals kNeverXor: the loads
  // cannot be removed, and tests see which chunks were read.
  void read(CUdeviceptr ptr, uint64_t chunks, CUstream stream) const;
  // How many blocks a copy launches: 8 of 256 threads an SM, striding over the tiles
  // (resident), or one block a tile of 1024 chunks (a row-wise kernel's grid). Neither is the
  // faster copy at every size, so the same-bytes ceiling times both.
  enum class Grid { resident, tile_per_block };
  // Plain stores, or evict-first ones (st.global.cs) that leave L2 before other lines.
  enum class Stores { plain, evict_first };
  // Reads `read_chunks` chunks of `src` and writes `write_chunks` chunks of `dst`: chunk i of
  // dst is chunk i of src for i < read_chunks, zeros after. Loads and stores are 16 bytes,
  // four chunks a thread in flight.
  void copy(CUdeviceptr src, CUdeviceptr dst, uint64_t read_chunks, uint64_t write_chunks, CUstream stream,
            Grid grid = Grid::resident, Stores stores = Stores::plain) const;
  // One thread spins on the GPU's global timer for `us` microseconds.
  void hold(double us, CUstream stream) const;

  static constexpr uint32_t kNeverXor = 0x9e3779b9u;
  static constexpr uint64_t kChunkBytes = 16;

  // The module's PTX, for tests that assemble it without a GPU.
  static const char* ptx();

 private:
  Module module_;
  Function stream_, stream_cs_, hold_;
  unsigned blocks_;
};

}  // namespace kpg
