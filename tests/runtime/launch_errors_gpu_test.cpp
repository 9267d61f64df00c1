// Invalid launches raise errors instead of crashing, and the context stays usable.
#include <gtest/gtest.h>

#include "tests/gpu_test_env.hpp"
#include "runtime/buffer.hpp"
#include "runtime/compiler.hpp"
#include "runtime/error.hpp"
#include "runtime/module.hpp"
#include "test_support.hpp"

namespace kpg {
namespace {

class LaunchErrorsGpu : public testing::GpuTest {
 protected:
  void SetUp() override {
    testing::GpuTest::SetUp();
    if (IsSkipped()) return;
    module_ = load_module(testing::examples_dir() / "vector_add.cu");
    buffer_ = DeviceBuffer(1024 * sizeof(float));
  }

  void launch(const LaunchConfig& cfg) const {
    module_.function("vector_add").launch(cfg, buffer_.ptr(), buffer_.ptr(), buffer_.ptr(), 1024);
  }

  // A valid launch after an error shows the error did not poison the context.
  void expect_context_still_works() const {
    LaunchConfig ok;
    ok.grid = {8, 1, 1};
    ok.block = {128, 1, 1};
    EXPECT_NO_THROW(launch(ok));
    EXPECT_NO_THROW(context().synchronize());
  }

  Module module_;
  DeviceBuffer buffer_;
};

TEST_F(LaunchErrorsGpu, TooManyThreadsPerBlock) {
  LaunchConfig cfg;
  cfg.block = {2048, 1, 1};
  EXPECT_THROW(launch(cfg), LaunchConfigError);
  cfg.block = {0, 1, 1};
  EXPECT_THROW(launch(cfg), LaunchConfigError);
  expect_context_still_works();
}

TEST_F(LaunchErrorsGpu, TooMuchSharedMemory) {
  LaunchConfig cfg;
  cfg.block = {128, 1, 1};
  cfg.shared_bytes = static_cast<unsigned>(device().props().smem_per_block_optin) + 1;
  EXPECT_THROW(launch(cfg), LaunchConfigError);
  expect_context_still_works();
}

TEST_F(LaunchErrorsGpu, GridBeyondTheDeviceLimitIsADriverError) {
  LaunchConfig cfg;
  cfg.grid = {1, 70000, 1};  // gridDim.y is limited to 65535
  try {
    launch(cfg);
    FAIL() << "grid.y = 70000 launched";
  } catch (const CudaError& e) {
    EXPECT_EQ(e.result(), CUDA_ERROR_INVALID_VALUE) << e.what();
  }
  expect_context_still_works();
}

TEST_F(LaunchErrorsGpu, ClusterMustDivideTheGrid) {
  LaunchConfig cfg;
  cfg.grid = {3, 1, 1};
  cfg.cluster = {2, 1, 1};
  EXPECT_THROW(launch(cfg), LaunchConfigError);
}

TEST_F(LaunchErrorsGpu, WrongArgumentsAreCaughtWhenTheDriverDescribesParameters) {
  const auto f = module_.function("vector_add");
  if (f.parameter_sizes().empty()) GTEST_SKIP() << "driver lacks cuFuncGetParamInfo";
  LaunchConfig cfg;
  EXPECT_THROW(f.launch(cfg, buffer_.ptr(), buffer_.ptr()), LaunchConfigError);
  EXPECT_THROW(f.launch(cfg, buffer_.ptr(), buffer_.ptr(), buffer_.ptr(), size_t{1024}), LaunchConfigError);
}

TEST_F(LaunchErrorsGpu, EmptyGridLaunchesNothing) {
  LaunchConfig cfg;
  cfg.grid = {0, 1, 1};
  cfg.block = {4096, 1, 1};  // not even validated: nothing runs
  EXPECT_NO_THROW(launch(cfg));
}

TEST_F(LaunchErrorsGpu, UnknownKernelNameIsNamed) {
  try {
    module_.function("no_such_kernel");
    FAIL();
  } catch (const CudaError& e) {
    EXPECT_EQ(e.result(), CUDA_ERROR_NOT_FOUND);
    EXPECT_NE(std::string(e.what()).find("no_such_kernel"), std::string::npos);
  }
}

TEST_F(LaunchErrorsGpu, BufferCopiesOutsideTheBufferThrow) {
  std::vector<float> host(2048);
  EXPECT_THROW(buffer_.upload(host.data(), host.size() * sizeof(float)), Error);
  EXPECT_THROW(buffer_.download(host.data(), 8, 1024 * sizeof(float) - 4), Error);
}

}  // namespace
}  // namespace kpg
