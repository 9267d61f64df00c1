// The library on an op whose kernels take tensor maps (configs/examples/tma_copy.yaml): each
// launch on the caller's buffers re-encodes the maps with that launch's pointers, so one
// Launcher serves buffer pair after buffer pair.

#include <gtest/gtest.h>

#include <filesystem>
#include <optional>
#include <random>

#include "kpg/kpg.hpp"
#include "lib/device_session.hpp"
#include "runtime/stream.hpp"
#include "tests/gpu_test_env.hpp"
#include "tests/shared_test_support.hpp"
#include "tuner/workload.hpp"

namespace kpg::testing {
namespace {

class TmaLibraryGpu : public GpuTest {
 protected:
  void SetUp() override {
    GpuTest::SetUp();
    if (IsSkipped()) return;
    if (device().props().cc_major * 10 + device().props().cc_minor != 90)
      GTEST_SKIP() << "the example is built for sm_90a: " << device().props().name;
    cache_.emplace("KPG_CACHE_DIR", (dir_.path() / "cache").string());
  }

  TempDir dir_;
  std::optional<ScopedEnv> cache_;
};

TEST_F(TmaLibraryGpu, EachLaunchEncodesTheMapsOfItsOwnBuffers) {
  const std::filesystem::path yaml = std::filesystem::path(KPG_TEST_CONFIGS_DIR) / "examples" / "tma_copy.yaml";
  kpg::OperationOptions options;
  options.kernels_dir = KPG_TEST_KERNELS_DIR;
  options.configs_dir = KPG_TEST_CONFIGS_DIR;
  auto op = kpg::Operation::open(yaml.string(), options);
  const OpConfig config = load_config(yaml, KPG_TEST_KERNELS_DIR);
  const Shape shape{{{"M", 1000}, {"N", 776}}, DType::bf16};
  Workload a(config, shape, shared_gpu(0).limits()), b(config, shape, shared_gpu(0).limits());
  std::mt19937_64 seeds(std::random_device{}());
  a.randomize(seeds());
  b.randomize(seeds());

  kpg::Launcher& launcher = op.prepare(kpg::Problem{shape.dims, "bf16"});
  EXPECT_NE(launcher.describe().find("(tmap(x,"), std::string::npos) << launcher.describe();
  const Stream stream;
  int round = 0;
  for (Workload* w : {&a, &b, &a}) {
    a.poison_outputs(stream.get());
    b.poison_outputs(stream.get());
    std::vector<CUdeviceptr> pointers;
    for (const auto& info : launcher.io()) pointers.push_back(w->buffer(info.name).ptr());
    launcher.launch(pointers.data(), pointers.size(), stream.get());
    stream.synchronize();
    const CheckReport here = w->check(w->reference());
    EXPECT_TRUE(here.ok) << "launch " << round << ": " << here.describe();
    Workload& other = w == &a ? b : a;
    EXPECT_FALSE(other.check(other.reference()).ok) << "launch " << round << " also wrote the other pair";
    ++round;
  }
}

}  // namespace
}  // namespace kpg::testing
