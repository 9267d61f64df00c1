// Handles release what they own: create/destroy cycles of each resource kind leave the
// device's free memory where it was. One test per kind, so a failure names the culprit.
//
// How leaks are told from noise: cuMemGetInfo counts the whole device (2 MiB pages, driver
// pools, other processes: run these tests alone, `ctest -L gpu -j1`). Each test runs one
// warm-up batch (first-use growth: launch resources, lazy loading, pools), then kBatches
// measured batches of kCycles cycles. A leak of L bytes per cycle lowers free memory in
// EVERY batch by kCycles * L; one-off growth or another process's activity shows in one
// batch only. The test fails when even the smallest batch drop exceeds kBound: with
// kCycles = 500 and kBound = 8 MiB, any leak of 16.8 KB per cycle or more fails.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <sstream>
#include <utility>
#include <vector>

#include "tests/gpu_test_env.hpp"
#include "runtime/buffer.hpp"
#include "runtime/compiler.hpp"
#include "runtime/event.hpp"
#include "runtime/module.hpp"
#include "runtime/stream.hpp"
#include "test_support.hpp"

namespace kpg {
namespace {

constexpr int kCycles = 500;
constexpr int kBatches = 3;
constexpr long long kBound = 8ll << 20;

class ResourceReleaseGpu : public testing::GpuTest {
 protected:
  std::vector<char> vector_add_image() const {
    CompileOptions o;
    o.arch = device().props().arch();
    return Compiler().compile_file(testing::examples_dir() / "vector_add.cu", o).image;
  }

  // Runs `cycle(i)` for the warm-up batch and kBatches measured batches; fails if free
  // memory dropped by more than kBound in every measured batch.
  void expect_no_growth(const std::function<void(int)>& cycle) const {
    for (int i = 0; i < kCycles; ++i) cycle(i);
    context().synchronize();
    std::vector<long long> drops;
    for (int b = 0; b < kBatches; ++b) {
      const MemoryInfo before = memory_info();
      for (int i = 0; i < kCycles; ++i) cycle(i);
      context().synchronize();
      const MemoryInfo after = memory_info();
      drops.push_back(static_cast<long long>(before.free) - static_cast<long long>(after.free));
    }
    std::ostringstream report;
    for (const long long d : drops) report << " " << d / 1024 << " KiB";
    const long long smallest = *std::min_element(drops.begin(), drops.end());
    EXPECT_LE(smallest, kBound) << "free memory dropped in every batch of " << kCycles << " cycles:" << report.str()
                                << " (about " << smallest / kCycles << " bytes per cycle)";
    RecordProperty("free_memory_drop_per_batch_kib", report.str());
  }
};

TEST_F(ResourceReleaseGpu, Buffers) {
  expect_no_growth([](int i) {
    DeviceBuffer buffer((1 << 20) + 4 * i);  // 1 MiB and up: a leak shows as ~500 MiB a batch
    DeviceBuffer moved = std::move(buffer);  // the moved-from buffer must not free, the new owner must
    DeviceBuffer small(256 + i);
    small = std::move(moved);                // move-assignment frees the 256-byte buffer first
  });
}

TEST_F(ResourceReleaseGpu, ModulesLoadAndUnload) {
  const auto image = vector_add_image();
  expect_no_growth([&](int) {
    Module module = Module::load(image);
    Module moved = std::move(module);
  });
}

TEST_F(ResourceReleaseGpu, ModulesWithFunctionLookupAndLaunch) {
  const auto image = vector_add_image();
  const DeviceBuffer buffer(32 * sizeof(float));
  expect_no_growth([&](int) {
    const Module module = Module::load(image);
    const Function f = module.function("vector_add");
    LaunchConfig cfg;
    cfg.block = {32, 1, 1};
    f.launch(cfg, buffer.ptr(), buffer.ptr(), buffer.ptr(), 32);
    context().synchronize();  // the kernel is done before its module goes
  });
}

// The original pattern: the module is unloaded while its kernel may still be running.
TEST_F(ResourceReleaseGpu, ModulesUnloadedRightAfterALaunch) {
  const auto image = vector_add_image();
  const DeviceBuffer buffer(32 * sizeof(float));
  expect_no_growth([&](int) {
    const Module module = Module::load(image);
    LaunchConfig cfg;
    cfg.block = {32, 1, 1};
    module.function("vector_add").launch(cfg, buffer.ptr(), buffer.ptr(), buffer.ptr(), 32);
  });
}

TEST_F(ResourceReleaseGpu, Streams) {
  expect_no_growth([](int) {
    Stream stream;
    Stream moved = std::move(stream);
    moved.synchronize();
  });
}

TEST_F(ResourceReleaseGpu, EventsRecordedOnAStream) {
  const Stream stream;
  expect_no_growth([&](int) {
    const Event event;
    event.record(stream.get());
    Event replaced;
    replaced = Event(CU_EVENT_DISABLE_TIMING);  // move-assignment destroys the first event
  });
}

// Every kind of handle in one cycle: a leak of any of them shows as falling free memory.
TEST_F(ResourceReleaseGpu, AllKindsTogether) {
  const auto image = vector_add_image();
  expect_no_growth([&](int i) {
    DeviceBuffer buffer((1 << 20) + 4 * i);
    const Module module = Module::load(image);
    LaunchConfig cfg;
    cfg.block = {32, 1, 1};
    module.function("vector_add").launch(cfg, buffer.ptr(), buffer.ptr(), buffer.ptr(), 32);
    const Stream stream;
    const Event event;
    event.record(stream.get());
  });
}

}  // namespace
}  // namespace kpg
