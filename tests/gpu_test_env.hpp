#pragma once
// For GPU tests: suites whose name ends in "Gpu" (ctest label `gpu`) derive from
// kpg::testing::GpuTest, which skips with a visible reason when there is no driver or
// device, and otherwise opens device 0 and makes its primary context current. The context
// is released in the destructor, after the derived fixture's buffers and modules are gone.
// load_module() compiles a kernel file for the device and loads it.

#include <gtest/gtest.h>

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "runtime/compiler.hpp"
#include "runtime/context.hpp"
#include "runtime/device.hpp"
#include "runtime/driver.hpp"
#include "runtime/module.hpp"

namespace kpg::testing {

// True when a driver loads and at least one device is visible; else `reason` says why not.
inline bool gpu_available(std::string* reason) {
  if (!driver_available(reason)) return false;
  if (Device::count() == 0) {
    *reason = "the driver reports no CUDA device";
    return false;
  }
  return true;
}

class GpuTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string reason;
    if (!gpu_available(&reason)) GTEST_SKIP() << "no GPU: " << reason;
    device_.emplace(0);
    context_.emplace(*device_);
  }
  const Device& device() const { return *device_; }
  const Context& context() const { return *context_; }

  // `source` compiled for this device (no cubin cache) with `defines`, and loaded.
  Module load_module(const std::filesystem::path& source,
                     std::vector<std::pair<std::string, std::string>> defines = {}) const {
    CompileOptions o;
    o.arch = device().props().arch();
    o.defines = std::move(defines);
    o.include_dirs = {KPG_TEST_KERNELS_DIR};  // kernels include project headers by kernels-dir paths
    return Module::load(Compiler().compile_file(source, o).image);
  }

 private:
  std::optional<Device> device_;
  std::optional<Context> context_;
};

}  // namespace kpg::testing

// For a plain TEST body that needs a GPU: skips the test with the reason when there is none.
#define KPG_SKIP_WITHOUT_GPU()                                          \
  do {                                                                  \
    std::string kpg_no_gpu_reason_;                                     \
    if (!::kpg::testing::gpu_available(&kpg_no_gpu_reason_))           \
      GTEST_SKIP() << "no GPU: " << kpg_no_gpu_reason_;                 \
  } while (0)
