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
#include <string>

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
  // How a copy runs. Each is a shape a memory-bound kernel may take, so the same-bytes
  // ceiling times them all: a kernel must not beat a copy timed with another.
  //   grid: blocks of `threads` threads, each on tiles of 4 x threads contiguous chunks:
  //     resident: as many blocks as fill every SM once, striding over the tiles;
  //     tile_per_block: one block a tile (a row-wise kernel's grid);
  //     balanced: as few blocks as do the tiles in as many rounds as the resident grid, all
  //       blocks the same number of tiles. Where the tiles are not a whole number of resident
  //       grids (1.45 of them for 25 MB on an H100), the other two end on a round that only
  //       some blocks or SMs work in; a kernel whose blocks all do whole rounds does not.
  //   stores: plain, or evict-first (st.global.cs), which leave L2 before other lines.
  enum class Grid { resident, tile_per_block, balanced };
  enum class Stores { plain, evict_first };
  struct CopyPlan {
    Grid grid = Grid::resident;
    unsigned threads = 256;  // whole warps, at most 1024
    Stores stores = Stores::plain;
    // "kpg_stream", then what differs from the plan above, e.g. "kpg_stream, a block a tile, 64 threads".
    std::string name() const;
  };
  // The blocks a copy of `chunks` chunks launches with `plan` on a device with `props`
  // (throws Error for threads that are not whole warps from 32 to 1024).
  static unsigned blocks(const CopyPlan& plan, uint64_t chunks, const DeviceProperties& props);
  unsigned blocks(const CopyPlan& plan, uint64_t chunks) const { return blocks(plan, chunks, props_); }
  // Reads `read_chunks` chunks of `src` and writes `write_chunks` chunks of `dst`: chunk i of
  // dst is chunk i of src for i < read_chunks, zeros after. Loads and stores are 16 bytes,
  // four chunks a thread in flight.
  void copy(CUdeviceptr src, CUdeviceptr dst, uint64_t read_chunks, uint64_t write_chunks, CUstream stream,
            const CopyPlan& plan) const;
  // One thread spins on the GPU's global timer for `us` microseconds.
  void hold(double us, CUstream stream) const;

  static constexpr uint32_t kNeverXor = 0x9e3779b9u;
  static constexpr uint64_t kChunkBytes = 16;

  // The module's PTX, for tests that assemble it without a GPU.
  static const char* ptx();

 private:
  Module module_;
  Function stream_, stream_cs_, hold_;
  DeviceProperties props_;
};

}  // namespace kpg
