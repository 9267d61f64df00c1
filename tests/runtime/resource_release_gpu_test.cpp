// Handles release what they own: 1,000 create/destroy cycles leave device memory unchanged.
#include <gtest/gtest.h>

#include "tests/gpu_test_env.hpp"
#include "runtime/buffer.hpp"
#include "runtime/compiler.hpp"
#include "runtime/event.hpp"
#include "runtime/module.hpp"
#include "runtime/stream.hpp"
#include "test_support.hpp"

namespace kpg {
namespace {

class ResourceReleaseGpu : public testing::GpuTest {};

TEST_F(ResourceReleaseGpu, ThousandCyclesOfBuffersModulesStreamsAndEvents) {
  CompileOptions o;
  o.arch = device().props().arch();
  const auto image = Compiler().compile_file(testing::examples_dir() / "vector_add.cu", o).image;

  // One warm-up cycle so lazily created driver state is not counted as a leak.
  { const auto m = Module::load(image); DeviceBuffer b(1 << 20); Stream s; Event e; }
  context().synchronize();
  const MemoryInfo before = memory_info();

  for (int i = 0; i < 1000; ++i) {
    DeviceBuffer buffer((1 << 20) + 4 * i);  // 1 MiB and up: 1000 leaks would show as > 1 GiB
    const Module module = Module::load(image);
    const Function f = module.function("vector_add");
    LaunchConfig cfg;
    cfg.grid = {1, 1, 1};
    cfg.block = {32, 1, 1};
    f.launch(cfg, buffer.ptr(), buffer.ptr(), buffer.ptr(), 32);
    const Stream stream;
    const Event event;
    event.record(stream.get());
  }
  context().synchronize();
  const MemoryInfo after = memory_info();

  const long long grown = static_cast<long long>(before.free) - static_cast<long long>(after.free);
  EXPECT_LE(grown, 64ll << 20) << "free memory dropped by " << (grown >> 20) << " MiB over 1000 cycles";
}

}  // namespace
}  // namespace kpg
