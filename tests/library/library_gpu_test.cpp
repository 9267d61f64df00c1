// The library on a GPU: launches on the caller's buffers match the float64 reference,
// nothing but scratch is allocated (the timer is not built), repeated use leaves the tuning
// cache alone, tune_on_first_use records and later opens read the records.

#include <gtest/gtest.h>

#include <random>

#include "kpg/kpg.hpp"
#include "lib/device_session.hpp"
#include "runtime/buffer.hpp"
#include "runtime/stream.hpp"
#include "tests/gpu_test_env.hpp"
#include "tests/library/library_test_support.hpp"
#include "tuner/workload.hpp"

namespace kpg::testing {
namespace {

class LibraryGpu : public GpuTest {
 protected:
  void SetUp() override {
    GpuTest::SetUp();
    if (IsSkipped()) return;
    cache_.emplace("KPG_CACHE_DIR", (dir_.path() / "cache").string());
  }

  static kpg::OperationOptions options() {
    kpg::OperationOptions o;
    o.kernels_dir = KPG_TEST_KERNELS_DIR;
    o.configs_dir = KPG_TEST_CONFIGS_DIR;
    return o;
  }

  // Launches `op` through its Launcher on a workload's buffers (fresh random inputs, poisoned
  // outputs) on a stream of the test's, and compares with the float64 reference.
  CheckReport launch_and_check(const std::string& name, const Shape& shape) {
    auto op = kpg::Operation::open(name, options());
    const OpConfig config = load_config(std::filesystem::path(KPG_TEST_CONFIGS_DIR) / (name + ".yaml"),
                                        KPG_TEST_KERNELS_DIR);
    Workload workload(config, shape, shared_gpu(0).limits());
    workload.randomize(std::random_device{}());
    const Stream stream;
    workload.poison_outputs(stream.get());
    kpg::Launcher& launcher = op.prepare(kpg::Problem{shape.dims, std::string(dtype_name(shape.dtype))});
    std::vector<CUdeviceptr> pointers;
    for (const auto& b : launcher.io()) pointers.push_back(workload.buffer(b.name).ptr());
    launcher.launch(pointers.data(), pointers.size(), stream.get());
    stream.synchronize();
    std::cout << name << " at " << shape.to_string() << ": " << launcher.config().id << " ("
              << kpg::to_string(launcher.config().source) << ")\n";
    return workload.check(workload.reference());
  }

  TempDir dir_;
  std::optional<ScopedEnv> cache_;
};

TEST_F(LibraryGpu, LaunchesOnTheCallersBuffersMatchTheReference) {
  const auto f32 = DType::f32, f16 = DType::f16, bf16 = DType::bf16;
  for (const auto& [name, shape] : std::vector<std::pair<std::string, Shape>>{
           {"softmax", {{{"M", 37}, {"N", 781}}, f32}},
           {"softmax", {{{"M", 5}, {"N", 4097}}, f16}},
           {"softmax", {{{"M", 3}, {"N", 131075}}, f32}},  // long rows: a split space and its scratch
           {"layernorm", {{{"M", 33}, {"N", 1000}}, bf16}},
           {"layernorm", {{{"M", 7}, {"N", 768}}, f16}}}) {
    const CheckReport report = launch_and_check(name, shape);
    EXPECT_TRUE(report.ok) << name << " at " << shape.to_string() << ": " << report.describe();
  }
}

TEST_F(LibraryGpu, VerifyChecksTheChosenConfigurationAgainstTheReference) {
  auto attention = kpg::Operation::open("attention", options());
  const kpg::Problem problem{{{"B", 1}, {"H", 2}, {"N", 77}, {"D", 64}, {"CAUSAL", 1}}, "f16"};
  const kpg::VerifyResult r = attention.verify(problem);
  EXPECT_TRUE(r.ok) << r.config.id << ": " << r.details;
  EXPECT_EQ(r.config.source, kpg::ConfigSource::config_default);  // an empty cache
}

// Reads the device's free memory, which tests running beside it change: a suite of its
// own, which ctest runs alone (tests/CMakeLists.txt).
class LibraryMemoryGpu : public LibraryGpu {};

TEST_F(LibraryMemoryGpu, LaunchingAllocatesNoTimerAndLittleMemory) {
  const MemoryInfo before = memory_info();
  EXPECT_TRUE(launch_and_check("softmax", Shape{{{"M", 64}, {"N", 1024}}, DType::f32}).ok);
  EXPECT_FALSE(shared_gpu(0).has_timer());
  // The workload's own buffers are 2 x 256 KiB; the timer would take four times the L2.
  const MemoryInfo after = memory_info();
  const auto used = static_cast<int64_t>(before.free) - static_cast<int64_t>(after.free);
  EXPECT_LT(used, 2 * shared_gpu(0).props().l2_bytes) << used << " bytes";
  // Timing builds it.
  auto op = kpg::Operation::open("softmax", options());
  const DeviceBuffer x(64 * 1024 * 4), y(64 * 1024 * 4);
  const kpg::TimeResult t = kpg::time(
      [&](CUstream s) { op.launch({{{"M", 64}, {"N", 1024}}, "f32"}, {{"x", x.ptr()}, {"y", y.ptr()}}, s); }, nullptr,
      kpg::TimeOptions{1, 5, 10, 100, false, 0});
  EXPECT_TRUE(shared_gpu(0).has_timer());
  EXPECT_GE(t.reps, 10);
  EXPECT_EQ(t.method, "kpg-writeback-charged");
}

TEST_F(LibraryGpu, RepeatedLaunchesLeaveTheTuningCacheAlone) {
  auto op = kpg::Operation::open("softmax", options());
  const kpg::Problem problem{{{"M", 100}, {"N", 500}}, "f16"};
  const DeviceBuffer x(100 * 500 * 2), y(100 * 500 * 2);
  op.launch(problem, {{"x", x.ptr()}, {"y", y.ptr()}}, nullptr);
  const auto after_first = files_under(dir_.path());
  for (int i = 0; i < 50; ++i) op.launch(problem, {{"x", x.ptr()}, {"y", y.ptr()}}, nullptr);
  context().synchronize();
  EXPECT_EQ(files_under(dir_.path()), after_first);
  for (const auto& [file, text] : after_first) EXPECT_EQ(file.find("tuning/softmax"), std::string::npos) << file;
}

TEST_F(LibraryGpu, TuneOnFirstUseRecordsAndLaterOpensReadTheRecords) {
  kpg::OperationOptions tuning = options();
  tuning.tune_on_first_use = true;
  tuning.tune_budget = 3;
  const kpg::Problem problem{{{"M", 64}, {"N", 1000}}, "f32"};
  const kpg::ConfigChoice tuned = kpg::Operation::open("softmax", tuning).config(problem);
  EXPECT_EQ(tuned.source, kpg::ConfigSource::tuned_now);
  const auto records = files_under(dir_.path() / "cache" / "tuning");
  const kpg::ConfigChoice read = kpg::Operation::open("softmax", options()).config(problem);
  EXPECT_EQ(read.source, kpg::ConfigSource::tuning_cache);
  EXPECT_EQ(read.id, tuned.id);
  EXPECT_EQ(files_under(dir_.path() / "cache" / "tuning"), records);
}

TEST_F(LibraryGpu, ABadPointerIsRefusedBeforeTheDriverSeesIt) {
  auto op = kpg::Operation::open("softmax", options());
  const kpg::Problem problem{{{"M", 4}, {"N", 64}}, "f32"};
  const DeviceBuffer x(4 * 64 * 4), y(4 * 64 * 4);
  EXPECT_THROW(op.launch(problem, {{"x", x.ptr() + 4}, {"y", y.ptr()}}, nullptr), kpg::InvalidInput);
  EXPECT_THROW(op.launch(problem, {{"x", x.ptr()}}, nullptr), kpg::InvalidInput);
  EXPECT_THROW(op.launch(problem, {{"x", x.ptr()}, {"y", 0}}, nullptr), kpg::InvalidInput);
  EXPECT_THROW(op.launch(problem, {{"x", x.ptr()}, {"y", y.ptr()}, {"z", y.ptr()}}, nullptr), kpg::InvalidInput);
  EXPECT_THROW(op.prepare(problem, "warp_per_row:WARPS=3"), kpg::InvalidInput);
  EXPECT_EQ(op.prepare(problem, "warp_per_row:WARPS=2").config().source, kpg::ConfigSource::given);
}

}  // namespace
}  // namespace kpg::testing
