// DRAM bytes read from the hardware counters (CUPTI's range profiler) against the bytes a
// copy kernel must move. On a machine with a GPU, CUPTI being unusable is a failure that
// names the reason (not a skip): the measured column of the memory lesson would be empty.

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <iostream>

#include "runtime/buffer.hpp"
#include "runtime/compiler.hpp"
#include "runtime/module.hpp"
#include "runtime/stream.hpp"
#include "tests/gpu_test_env.hpp"
#include "profiling/dram_counter.hpp"

namespace kpg::memory {
namespace {

class DramCounterGpu : public testing::GpuTest {
 protected:
  void SetUp() override {
    testing::GpuTest::SetUp();
    if (IsSkipped()) return;
    module_ = load_module(std::filesystem::path(KPG_TEST_KERNELS_DIR) / "memory" / "streaming.cu");
  }

  // Measures stream_copy over `bytes` (read once, written once) and checks both counts
  // within `tolerance` of `bytes`.
  void expect_copy_measured(DramCounter& counter, size_t bytes, double tolerance) {
    DeviceBuffer in(bytes), out(bytes);
    in.fill_bytes(1);
    out.fill_bytes(0);
    const Stream stream;
    const Function copy = module_->function("stream_copy");
    const long long vectors = static_cast<long long>(bytes / 16);
    LaunchConfig config;
    config.block = {256, 1, 1};
    config.grid = {static_cast<unsigned>(device().props().sm_count * 8), 1, 1};
    int launches = 0;
    const auto m = counter.measure(
        [&](CUstream s) {
          config.stream = s;
          copy.launch(config, in.ptr(), out.ptr(), vectors);
          ++launches;
        },
        stream.get());
    ASSERT_TRUE(m.has_value()) << "CUPTI unusable on a GPU machine: " << counter.why_unavailable();
    const double b = static_cast<double>(bytes);
    std::cout << "copy of " << bytes << " bytes: DRAM read " << m->read << " (" << m->read / b << "x), write "
              << m->write << " (" << m->write / b << "x); flush range read " << m->flush_read << ", write "
              << m->flush_write << "; passes " << m->passes << "\n";
    EXPECT_EQ(launches, m->passes);
    EXPECT_GE(m->passes, 1);
    EXPECT_NEAR(m->read, b, tolerance * b) << "measured/counted read " << m->read / b;
    EXPECT_NEAR(m->write, b, tolerance * b) << "measured/counted write " << m->write / b;
  }

  std::optional<Module> module_;
};

TEST_F(DramCounterGpu, CopyOf256MiBReadsAndWritesWhatItCounts) {
  DramCounter counter;
  ASSERT_TRUE(counter.available()) << "CUPTI unusable on a GPU machine: " << counter.why_unavailable();
  std::cout << counter.describe() << "\n";
  expect_copy_measured(counter, size_t{256} << 20, 0.03);
}

TEST_F(DramCounterGpu, MeasuresAgainAndSmallCopiesToo) {
  DramCounter counter;
  ASSERT_TRUE(counter.available()) << "CUPTI unusable on a GPU machine: " << counter.why_unavailable();
  // 64 MiB: more than the L2 of any card yet; 8 MiB: fits in L2, its write-back is flushed out.
  expect_copy_measured(counter, size_t{64} << 20, 0.03);
  expect_copy_measured(counter, size_t{8} << 20, 0.10);
  EXPECT_TRUE(counter.available()) << counter.why_unavailable();
}

}  // namespace
}  // namespace kpg::memory
