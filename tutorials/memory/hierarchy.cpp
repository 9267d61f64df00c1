#include "tutorials/memory/hierarchy.hpp"

#include <algorithm>
#include <chrono>
#include <functional>
#include <numeric>
#include <random>

#include "runtime/buffer.hpp"
#include "runtime/driver.hpp"
#include "runtime/error.hpp"
#include "runtime/event.hpp"
#include "runtime/module.hpp"

namespace kpg::memory {
namespace {

constexpr int kLineBytes = 128;  // one chain element per L1/L2 line

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Milliseconds per launch, averaged over `reps` back-to-back launches, median of 5 trials.
// No L2 flush: the L2 bandwidth kernel wants its data to stay there.
double per_launch_ms(const std::function<void(CUstream)>& launch, CUstream stream, int reps) {
  launch(stream);  // warm-up
  Event start, stop;
  std::vector<double> trials;
  for (int t = 0; t < 5; ++t) {
    start.record(stream);
    for (int r = 0; r < reps; ++r) launch(stream);
    stop.record(stream);
    stop.synchronize();
    trials.push_back(static_cast<double>(Event::elapsed_ms(start, stop)) / reps);
  }
  return median(trials);
}

Module load(const Compiler& compiler, const std::filesystem::path& file, const Gpu& gpu) {
  CompileOptions options;
  options.arch = gpu.props().arch();
  return Module::load(compiler.compile_file(file, options).image);
}

// Runs one chase kernel on a chain of `bytes` and returns the cycles per dependent load.
double chase_cycles(const Gpu& gpu, const Function& kernel, int64_t bytes, int warm, int steps, bool shared) {
  const auto chain = make_pointer_chain(bytes, kLineBytes, 42);
  DeviceBuffer next(chain.size() * sizeof(unsigned)), sink(sizeof(unsigned)), cycles(sizeof(long long));
  next.upload(chain.data(), next.bytes());
  LaunchConfig config;
  config.stream = gpu.stream();
  if (shared) {
    config.block = {256, 1, 1};
    config.shared_bytes = static_cast<unsigned>(next.bytes());
    kernel.launch(config, next.ptr(), static_cast<int>(chain.size()), steps, sink.ptr(), cycles.ptr());
  } else {
    kernel.launch(config, next.ptr(), warm, steps, sink.ptr(), cycles.ptr());
  }
  gpu.synchronize();
  long long taken = 0;
  cycles.download(&taken, sizeof taken);
  return static_cast<double>(taken) / steps;
}

LevelMeasurement latency_level(const Gpu& gpu, std::string level, int64_t bytes, double cycles) {
  LevelMeasurement m{std::move(level), bytes, cycles, std::nullopt, std::nullopt};
  if (gpu.props().clock_khz > 0) m.latency_ns = cycles * 1e6 / gpu.props().clock_khz;
  return m;
}

}  // namespace

std::vector<unsigned> make_pointer_chain(int64_t bytes, int line_bytes, uint64_t seed) {
  const int64_t per_line = line_bytes / static_cast<int64_t>(sizeof(unsigned));
  const int64_t lines = bytes / line_bytes;
  if (per_line < 1 || lines < 2) throw Error("pointer chain needs at least two lines");
  std::vector<unsigned> order(static_cast<size_t>(lines));
  std::iota(order.begin(), order.end(), 0u);
  std::mt19937_64 rng(seed);
  std::shuffle(order.begin() + 1, order.end(), rng);  // the lap starts at element 0
  std::vector<unsigned> chain(static_cast<size_t>(lines * per_line), 0u);
  for (size_t k = 0; k < order.size(); ++k)
    chain[order[k] * static_cast<size_t>(per_line)] =
        order[(k + 1) % order.size()] * static_cast<unsigned>(per_line);
  return chain;
}

HierarchyMeasurement measure_hierarchy(const Gpu& gpu, const Compiler& compiler,
                                       const std::filesystem::path& kernels_dir) {
  const Module chase = load(compiler, kernels_dir / "memory" / "pointer_chase.cu", gpu);
  const Module stream = load(compiler, kernels_dir / "memory" / "streaming.cu", gpu);
  const auto& p = gpu.props();
  const CUstream s = gpu.stream();
  HierarchyMeasurement h;

  // Latency. Working sets: 16 KB (fits shared memory and L1), L2 / 8 (fits L2, not L1),
  // 256 MB (five times an H100's L2: misses all the way to device memory).
  const int64_t small = 16 << 10, l2_set = std::max<int64_t>(p.l2_bytes / 8, 1 << 20), dram_set = int64_t{256} << 20;
  h.levels.push_back(latency_level(gpu, "shared memory", small,
                                   chase_cycles(gpu, chase.function("chase_shared"), small, 0, 4096, true)));
  h.levels.push_back(latency_level(gpu, "L1", small,
                                   chase_cycles(gpu, chase.function("chase_l1"), small, 2 * small / kLineBytes, 4096, false)));
  h.levels.push_back(latency_level(gpu, "L2", l2_set,
                                   chase_cycles(gpu, chase.function("chase_l2"), l2_set, static_cast<int>(l2_set / kLineBytes), 8192, false)));
  h.levels.push_back(latency_level(gpu, "device memory", dram_set,
                                   chase_cycles(gpu, chase.function("chase_l2"), dram_set, 0, 8192, false)));

  DeviceBuffer sink(sizeof(float));
  const unsigned blocks = static_cast<unsigned>(p.sm_count) * 8, threads = 256;
  LaunchConfig wide;
  wide.grid = {blocks, 1, 1};
  wide.block = {threads, 1, 1};

  // Shared memory: 16 bytes per thread per iteration.
  const int smem_iters = 4096;
  const Function shared_fn = stream.function("stream_shared");
  const double smem_ms = per_launch_ms([&](CUstream st) { wide.stream = st; shared_fn.launch(wide, smem_iters, sink.ptr()); }, s, 5);
  h.levels[0].bandwidth_gbs = 16.0 * blocks * threads * smem_iters / (smem_ms * 1e6);

  // L2: a quarter of it, read 20 times without L1.
  const int64_t l2_vecs = std::max<int64_t>(p.l2_bytes / 4 / 16, 1 << 14);
  const int passes = 20;
  DeviceBuffer l2_buf(static_cast<size_t>(l2_vecs) * 16);
  l2_buf.fill_bytes(0, s);
  const Function l2_fn = stream.function("stream_read_l2");
  const double l2_ms = per_launch_ms(
      [&](CUstream st) { wide.stream = st; l2_fn.launch(wide, l2_buf.ptr(), static_cast<long long>(l2_vecs), passes, sink.ptr()); }, s, 5);
  h.levels[2].bandwidth_gbs = 16.0 * static_cast<double>(l2_vecs) * passes / (l2_ms * 1e6);

  // Device memory: a copy kernel over up to 1 GiB each way, timed with L2 flushed.
  const size_t copy_bytes = std::min<size_t>(size_t{1} << 30, memory_info().free / 4) / 16 * 16;
  DeviceBuffer src(copy_bytes), dst(copy_bytes);
  src.fill_bytes(1, s);
  const Function copy_fn = stream.function("stream_copy");
  const auto n = static_cast<long long>(copy_bytes / 16);
  const Timing copy = gpu.timer().time(
      [&](CUstream st) { wide.stream = st; copy_fn.launch(wide, src.ptr(), dst.ptr(), n); }, TimingSettings{20, 200, 10, 100, 0}, s);
  h.levels[3].bandwidth_gbs = 2.0 * static_cast<double>(copy_bytes) / (copy.median_ms * 1e6);

  // FP32 FMA throughput: 8 chains x 2 flops per iteration per thread.
  const int fma_iters = 16384;
  const Function fma_fn = stream.function("fma_throughput");
  const double fma_ms = per_launch_ms([&](CUstream st) { wide.stream = st; fma_fn.launch(wide, fma_iters, sink.ptr()); }, s, 5);
  h.fma_gflops = 16.0 * blocks * threads * fma_iters / (fma_ms * 1e6);

  // Launch cost: back to back on the stream, and one launch waited for from the host.
  const Function empty = stream.function("empty_kernel");
  LaunchConfig one;
  one.block = {32, 1, 1};
  h.launch_us = 1e3 * per_launch_ms([&](CUstream st) { one.stream = st; empty.launch(one); }, s, 1000);
  std::vector<double> round_trips;
  one.stream = s;
  for (int i = 0; i < 200; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    empty.launch(one);
    gpu.synchronize();
    round_trips.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
  }
  h.launch_sync_us = median(round_trips);
  return h;
}

}  // namespace kpg::memory
