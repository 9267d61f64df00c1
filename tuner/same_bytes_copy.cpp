#include "tuner/same_bytes_copy.hpp"

#include <algorithm>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "runtime/buffer.hpp"
#include "runtime/driver.hpp"
#include "runtime/error.hpp"

namespace kpg {
namespace {

uint64_t chunks_of(int64_t bytes) {
  return (static_cast<uint64_t>(bytes) + StreamKernels::kChunkBytes - 1) / StreamKernels::kChunkBytes;
}

// Throws when `bytes` more cannot be allocated with a quarter of free memory to spare.
void check_room(size_t bytes, const char* what) {
  const MemoryInfo memory = memory_info();
  if (bytes > memory.free - memory.free / 4)
    throw Error(std::string(what) + ": needs " + std::to_string(bytes >> 20) + " MiB of device memory; " +
                std::to_string(memory.free >> 20) + " MiB are free");
}

// The copies timed: each launch shape with plain and with evict-first stores
// (stream_kernels.hpp). The resident grid is left out: it is the balanced one where the
// tiles are whole rounds, and slower where they are not.
std::vector<StreamKernels::CopyPlan> copy_plans() {
  using Grid = StreamKernels::Grid;
  using Stores = StreamKernels::Stores;
  std::vector<StreamKernels::CopyPlan> plans;
  for (const Grid grid : {Grid::tile_per_block, Grid::balanced})
    for (const unsigned threads : {256u, 64u})
      for (const Stores stores : {Stores::plain, Stores::evict_first}) plans.push_back({grid, threads, stores});
  return plans;
}

}  // namespace

double CopyTiming::gbs() const {
  return timing.median_ms > 0 ? static_cast<double>(read_bytes + write_bytes) / (timing.median_ms * 1e6) : 0;
}

CopyTiming time_same_bytes_copy(const Timer& timer, int64_t read_bytes, int64_t write_bytes,
                                const TimingSettings& settings, CUstream stream) {
  if (read_bytes < 0 || write_bytes < 0 || read_bytes + write_bytes == 0)
    throw Error("same-bytes copy: read " + std::to_string(read_bytes) + " and write " + std::to_string(write_bytes) +
                " bytes: expected sizes >= 0, not both 0");
  const uint64_t read_chunks = chunks_of(read_bytes), write_chunks = chunks_of(write_bytes);
  CopyTiming c;
  c.read_bytes = static_cast<int64_t>(read_chunks * StreamKernels::kChunkBytes);
  c.write_bytes = static_cast<int64_t>(write_chunks * StreamKernels::kChunkBytes);
  const int64_t driver_bytes = driver_copy_bytes(c.read_bytes, c.write_bytes);
  // At least one chunk each: the kernel's xor store may land at src word 0.
  const size_t src_bytes = static_cast<size_t>(std::max({c.read_bytes, driver_bytes, int64_t{16}}));
  const size_t dst_bytes = static_cast<size_t>(std::max({c.write_bytes, driver_bytes, int64_t{16}}));
  check_room(src_bytes + dst_bytes, "same-bytes copy");
  DeviceBuffer src(src_bytes), dst(dst_bytes);
  src.fill_bytes(1, stream);  // never all zeros, never the xor that makes the kernel store
  const StreamKernels& k = timer.kernels();
  // Times one copy and keeps it when it is the first or faster than every one before.
  const auto time_copy = [&](const LaunchFn& launch, std::string name) {
    const Timing t = timer.time(launch, settings, stream);
    c.copiers.push_back({name, t.median_ms});
    if (c.copiers.size() > 1 && t.median_ms >= c.timing.median_ms) return;
    c.timing = t;
    c.copier = std::move(name);
  };
  const uint64_t chunks = std::max(read_chunks, write_chunks);
  std::vector<std::tuple<unsigned, unsigned, StreamKernels::Stores>> launched;  // blocks, threads, stores
  for (const StreamKernels::CopyPlan& plan : copy_plans()) {
    const auto launch = std::tuple{k.blocks(plan, chunks), plan.threads, plan.stores};
    if (std::find(launched.begin(), launched.end(), launch) != launched.end()) continue;  // the same kernel launch
    launched.push_back(launch);
    time_copy([&](CUstream s) { k.copy(src.ptr(), dst.ptr(), read_chunks, write_chunks, s, plan); }, plan.name());
  }
  if (driver_bytes > 0)
    time_copy([&](CUstream s) {
      KPG_CU_CHECK(driver().cuMemcpyDtoDAsync(dst.ptr(), src.ptr(), static_cast<size_t>(driver_bytes), s));
    }, "cuMemcpyDtoD");
  return c;
}

int64_t driver_copy_bytes(int64_t read_bytes, int64_t write_bytes) {
  const int64_t low = std::min(read_bytes, write_bytes), high = std::max(read_bytes, write_bytes);
  if (low <= 0 || static_cast<double>(high - low) > kDriverCopyMismatch * static_cast<double>(high)) return 0;
  return (read_bytes + write_bytes) / 2;
}

CopyTiming time_cumemcpy(const Timer& timer, int64_t bytes, const TimingSettings& settings, CUstream stream) {
  if (bytes <= 0) throw Error("cuMemcpy copy: " + std::to_string(bytes) + " bytes: expected more than 0");
  const auto n = static_cast<size_t>(bytes);
  check_room(2 * n, "cuMemcpy copy");
  DeviceBuffer src(n), dst(n);
  src.fill_bytes(1, stream);
  CopyTiming c;
  c.read_bytes = c.write_bytes = bytes;
  c.copier = "cuMemcpyDtoD";
  c.timing = timer.time([&](CUstream s) { KPG_CU_CHECK(driver().cuMemcpyDtoDAsync(dst.ptr(), src.ptr(), n, s)); },
                        settings, stream);
  c.copiers.push_back({c.copier, c.timing.median_ms});
  return c;
}

double percent_of_copy(double gbs, const CopyTiming& copy) {
  const double ceiling = copy.gbs();
  return ceiling > 0 ? 100.0 * gbs / ceiling : 0;
}

}  // namespace kpg
