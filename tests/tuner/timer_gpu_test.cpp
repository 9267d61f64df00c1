// The timer on the GPU: the shape of what it reports, that the flush after the launch runs,
// that it charges the write-back of what a launch leaves dirty in L2, and the same-bytes
// copy. No test asserts a duration: bounds are physical with a wide margin (no memory reads
// 100 MB in under 5 us), relations compare two kernels timed the same way.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>
#include <optional>
#include <string>

#include "runtime/buffer.hpp"
#include "runtime/error.hpp"
#include "runtime/stream.hpp"
#include "tests/gpu_test_env.hpp"
#include "tuner/same_bytes_copy.hpp"
#include "tuner/timer.hpp"

namespace kpg {
namespace {

// Faster than any memory or cache a GPU has: a read of N bytes takes at least N / this.
constexpr double kBytesPerMsBound = 20e12 / 1e3;

class TimerGpu : public testing::GpuTest {
 protected:
  void SetUp() override {
    testing::GpuTest::SetUp();
    if (IsSkipped()) return;
    timer_.emplace(device().props());
    stream_.emplace();
  }

  static TimingSettings quick() {
    TimingSettings s;
    s.warmup_ms = 5;
    s.rep_ms = 30;
    s.min_reps = 20;
    s.max_reps = 200;
    return s;
  }

  int64_t l2() const { return device().props().l2_bytes; }

  std::optional<Timer> timer_;
  std::optional<Stream> stream_;
};

TEST_F(TimerGpu, TimingOfACopyIsFinitePositiveAndComplete) {
  const CopyTiming c = time_same_bytes_copy(*timer_, 64 << 20, 64 << 20, quick(), stream_->get());
  const Timing& t = c.timing;
  std::cout << "64 MiB copy: median " << t.median_ms << " ms, launch alone " << t.launch_median_ms
            << " ms, write-back " << t.writeback_median_ms << " ms, spread " << t.spread_pct << " %, reps " << t.reps
            << ", floored " << t.floored_reps << ", host-late " << t.host_late_reps << ", " << c.gbs() << " GB/s\n";
  EXPECT_TRUE(std::isfinite(t.median_ms));
  EXPECT_GT(t.min_ms, 0);
  EXPECT_LE(t.min_ms, t.median_ms);
  EXPECT_GE(t.reps, 20);
  EXPECT_LE(t.reps, 200);
  EXPECT_GT(t.launch_median_ms, 0);
  EXPECT_TRUE(std::isfinite(t.spread_pct));
  // Every launch shape with each store policy (at 64 MiB no two launch the same grid), and the
  // driver's copy (read = write); the ceiling is the fastest of them.
  EXPECT_EQ(c.copiers.size(), 9u);
  const auto fastest = std::min_element(c.copiers.begin(), c.copiers.end(),
                                        [](const auto& a, const auto& b) { return a.median_ms < b.median_ms; });
  ASSERT_NE(fastest, c.copiers.end());
  EXPECT_EQ(fastest->name, c.copier);
  EXPECT_EQ(fastest->median_ms, t.median_ms);
  EXPECT_FALSE(t.graph_replay);  // 128 MB moved: far longer than 10 us
  EXPECT_GE(t.floored_reps, 0);
  EXPECT_LE(t.floored_reps, t.reps);
  // A single kernel launched from C++ is enqueued long before the reference read ends; a
  // few repetitions may still be flagged when the host is descheduled.
  EXPECT_LE(t.host_late_reps, t.reps / 10) << "the host fell behind the GPU in many repetitions";
  EXPECT_EQ(c.read_bytes, 64 << 20);
  EXPECT_EQ(c.write_bytes, 64 << 20);
}

TEST_F(TimerGpu, EachRepetitionReadsBeforeAndFlushesAfterTheLaunch) {
  DeviceBuffer out(1 << 20);
  int launches = 0;
  const RepTimes r = timer_->rep(
      [&](CUstream s) {
        ++launches;
        out.fill_bytes(7, s);
      },
      stream_->get());
  EXPECT_EQ(launches, 1);
  const double min_read_ms = static_cast<double>(timer_->read_bytes()) / kBytesPerMsBound;
  EXPECT_GE(r.reference_ms, min_read_ms) << "the reference read did not run between e0 and e1";
  EXPECT_GE(r.flush_ms, min_read_ms) << "the flush did not run after the launch";
  EXPECT_GT(r.launch_ms, 0);
  EXPECT_GE(r.host_enqueue_us, 0);
  EXPECT_GE(timer_->read_bytes(), static_cast<size_t>(2 * l2()));
}

TEST_F(TimerGpu, ShortLaunchIsReplayedFromAGraphAndStillFlushed) {
  DeviceBuffer out(4096);
  int launches = 0;
  const Timing t = timer_->time(
      [&](CUstream s) {
        ++launches;
        out.fill_bytes(3, s);
      },
      quick(), stream_->get());
  EXPECT_TRUE(t.graph_replay);
  // At most 200 warm-up launches plus one during capture: the replays do not call the function.
  EXPECT_LE(launches, 201);
  EXPECT_GE(t.reps, 20);
  EXPECT_GT(t.median_ms, 0);
}

// A kernel that writes half the L2 leaves it dirty in L2 when it ends; the flush after it
// writes it back. A kernel that reads the same bytes leaves nothing dirty. So the write's
// charged write-back exceeds the read's by about half the L2 at the card's bandwidth; the
// test asks for a quarter of that, at the datasheet bandwidth (above any measured one).
TEST_F(TimerGpu, ChargesTheWriteBackOfWhatALaunchLeavesDirtyInL2) {
  const int64_t bytes = l2() / 2;
  const CopyTiming write = time_same_bytes_copy(*timer_, 0, bytes, quick(), stream_->get());
  const CopyTiming read = time_same_bytes_copy(*timer_, bytes, 0, quick(), stream_->get());
  const double datasheet_bytes_per_ms = device().props().datasheet_bandwidth_gbs() * 1e6;
  const double expected_ms = static_cast<double>(bytes) / datasheet_bytes_per_ms;
  std::cout << "write of " << bytes << " B: write-back " << write.timing.writeback_median_ms << " ms, launch "
            << write.timing.launch_median_ms << " ms; read of the same: write-back "
            << read.timing.writeback_median_ms << " ms; half the L2 at the datasheet bandwidth: " << expected_ms
            << " ms\n";
  EXPECT_GT(write.timing.writeback_median_ms - read.timing.writeback_median_ms, 0.25 * expected_ms);
  EXPECT_GT(write.timing.median_ms, write.timing.launch_median_ms);
}

// The host's enqueueing is never charged as the GPU's reading. A launch that the host
// enqueues slowly (as a Python callable does) gets a longer hold; the same launch enqueued at
// once gets the least one, and were the GPU idle when it reaches e0, the wait for the
// reference read would be timed as reading and the launch charged less write-back, by the
// host's enqueue time. A memset of half the L2 leaves all it writes dirty: its charge is half
// write-back. Only that direction is checked: a slow host is charged a few per cent less than
// a fast one for a reason the hold does not touch (docs/design/timing.md).
TEST_F(TimerGpu, ALaunchEnqueuedAtOnceIsChargedNoLessThanWhenEnqueuedSlowly) {
  DeviceBuffer out(static_cast<size_t>(l2() / 2));
  const auto memset = [&](CUstream s) { out.fill_bytes(5, s); };
  const auto slow_memset = [&](CUstream s) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(30);
    while (std::chrono::steady_clock::now() < until) {
    }
    out.fill_bytes(5, s);
  };
  TimingSettings s = quick();
  s.graph_below_us = 0;
  const Timing fast = timer_->time(memset, s, stream_->get());
  const Timing slow = timer_->time(slow_memset, s, stream_->get());
  std::cout << "memset of half the L2: enqueued at once " << fast.median_ms * 1e3 << " us (launch "
            << fast.launch_median_ms * 1e3 << ", write-back " << fast.writeback_median_ms * 1e3 << ", hold "
            << fast.hold_us << ", host-late " << fast.host_late_reps << "); enqueued in 30 us " << slow.median_ms * 1e3
            << " us (launch " << slow.launch_median_ms * 1e3 << ", write-back " << slow.writeback_median_ms * 1e3
            << ", hold " << slow.hold_us << ", host-late " << slow.host_late_reps << ")\n";
  EXPECT_GT(slow.hold_us, fast.hold_us);
  EXPECT_GE(fast.median_ms, 0.97 * slow.median_ms) << "the host's enqueueing was timed as reading";
}

TEST_F(TimerGpu, SameBytesCopyRoundsToChunksAndRefusesNothingToCopy) {
  const CopyTiming c = time_same_bytes_copy(*timer_, 1000, 17, quick(), stream_->get());
  EXPECT_EQ(c.read_bytes, 1008);
  EXPECT_EQ(c.write_bytes, 32);
  EXPECT_GT(c.gbs(), 0);
  EXPECT_THROW(time_same_bytes_copy(*timer_, 0, 0, quick(), stream_->get()), Error);
  EXPECT_THROW(time_same_bytes_copy(*timer_, -16, 16, quick(), stream_->get()), Error);
}

long copies_named(const CopyTiming& c, const std::string& name) {
  return std::count_if(c.copiers.begin(), c.copiers.end(), [&](const auto& k) { return k.name == name; });
}

// A norm's bytes: x and its weights read, y and its row statistics written. The driver's copy
// is among the copies timed, and the ceiling is the fastest of them.
TEST_F(TimerGpu, SameBytesCopyOfANormsBytesTimesTheDriversCopyToo) {
  const int64_t x = int64_t{4096} * 1000 * 2, weights = 1000 * 2, stats = 4096 * 4;
  const CopyTiming c = time_same_bytes_copy(*timer_, x + weights, x + stats, quick(), stream_->get());
  EXPECT_EQ(copies_named(c, "cuMemcpyDtoD"), 1);
  EXPECT_EQ(copies_named(c, c.copier), 1);
  for (const auto& k : c.copiers) EXPECT_GE(k.median_ms, c.timing.median_ms) << k.name;
  // Reading twice what it writes: no copy the driver makes moves those bytes.
  const CopyTiming reads_more = time_same_bytes_copy(*timer_, 2 * x, x, quick(), stream_->get());
  EXPECT_EQ(copies_named(reads_more, "cuMemcpyDtoD"), 0);
}

TEST(SameBytesCopy, TheDriversCopyStandsInWhereReadAndWriteNearlyMatch) {
  EXPECT_EQ(driver_copy_bytes(1 << 20, 1 << 20), 1 << 20);
  EXPECT_EQ(driver_copy_bytes(1000000, 1010000), 1005000);  // 1 % apart: the mean each way
  EXPECT_EQ(driver_copy_bytes(1010000, 1000000), 1005000);
  EXPECT_EQ(driver_copy_bytes(1000000, 1030000), 0);  // 3 % apart
  EXPECT_EQ(driver_copy_bytes(0, 1 << 20), 0);
  EXPECT_EQ(driver_copy_bytes(1 << 20, 0), 0);
}

// Prints kpg's streaming copy of 1 GiB beside cuMemcpy's, both under this timer: the copy
// that "% of copy" divides by must be as fast as the driver's.
TEST_F(TimerGpu, StreamCopyBesideCuMemcpyOf1GiB) {
  TimingSettings s = quick();
  s.rep_ms = 200;
  const int64_t bytes = int64_t{1} << 30;
  const CopyTiming kernel = time_same_bytes_copy(*timer_, bytes, bytes, s, stream_->get());
  const CopyTiming driver_copy = time_cumemcpy(*timer_, bytes, s, stream_->get());
  std::cout << "1 GiB in, 1 GiB out: kpg_stream " << kernel.gbs() << " GB/s (spread " << kernel.timing.spread_pct
            << " %), cuMemcpy " << driver_copy.gbs() << " GB/s (spread " << driver_copy.timing.spread_pct << " %); "
            << device().props().name << ", datasheet " << device().props().datasheet_bandwidth_gbs() << " GB/s\n";
  EXPECT_GT(kernel.gbs(), 0);
  EXPECT_GT(driver_copy.gbs(), 0);
  EXPECT_LT(kernel.gbs(), device().props().datasheet_bandwidth_gbs() * 1.05) << "faster than the memory can go";
}

}  // namespace
}  // namespace kpg
