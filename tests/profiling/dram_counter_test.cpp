// The DRAM counter without a GPU: where CUPTI is looked for, and that a missing or unusable
// library gives one plain reason instead of a crash or an exception.

#include "profiling/dram_counter.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <string>

#include "tests/shared_test_support.hpp"

namespace kpg::memory {
namespace {

using testing::ScopedEnv;

// kpg configured where CUPTI's headers were missing: the counter is a stub saying so.
bool built_without_cupti(const DramCounter& counter) {
  return counter.why_unavailable().find("built without CUPTI") != std::string::npos;
}

TEST(DramCounter, MissingLibraryGivesThePlainReasonAndMeasuresNothing) {
  const ScopedEnv env("KPG_CUPTI_LIBRARY", "/nonexistent/libcupti.so");
  DramCounter counter;
  EXPECT_FALSE(counter.available());
  if (built_without_cupti(counter)) GTEST_SKIP() << counter.why_unavailable();
  EXPECT_TRUE(counter.library().empty());
  EXPECT_EQ(counter.describe(), "");
  const std::string& why = counter.why_unavailable();
  EXPECT_EQ(why.rfind("CUPTI not found", 0), 0u) << why;
  EXPECT_NE(why.find("KPG_CUPTI_LIBRARY=/nonexistent/libcupti.so"), std::string::npos) << why;
  EXPECT_EQ(why.find('\n'), std::string::npos) << "one line: " << why;

  bool launched = false;
  const auto bytes = counter.measure([&](CUstream) { launched = true; }, nullptr);
  EXPECT_FALSE(bytes.has_value());
  EXPECT_FALSE(launched);
  EXPECT_EQ(counter.why_unavailable(), why);
}

TEST(DramCounter, LibraryWithoutTheRangeProfilerIsNamedAsTooOld) {
  const ScopedEnv env("KPG_CUPTI_LIBRARY", "libm.so.6");  // loads, has no CUPTI function
  DramCounter counter;
  EXPECT_FALSE(counter.available());
  const std::string& why = counter.why_unavailable();
  if (built_without_cupti(counter)) GTEST_SKIP() << why;
  EXPECT_NE(why.find("libm.so.6"), std::string::npos) << why;
  EXPECT_NE(why.find("lacks cuptiGetResultString"), std::string::npos) << why;
  EXPECT_NE(why.find("CUDA 12.6"), std::string::npos) << why;
}

TEST(DramCounter, SearchFollowsTheLoaderThenCudaHome) {
  {
    const ScopedEnv home("CUDA_HOME", "/opt/cuda-test");
    const auto list = DramCounter::search_list();
    ASSERT_GE(list.size(), 4u);
    EXPECT_EQ(list[0], "libcupti.so.13");
    EXPECT_EQ(list[1], "libcupti.so");
    const auto at = [&](const std::string& path) { return std::find(list.begin(), list.end(), path) - list.begin(); };
    EXPECT_LT(at("/opt/cuda-test/lib64/libcupti.so.13"), at("/opt/cuda-test/lib/libcupti.so.13"));
    EXPECT_LT(at("/opt/cuda-test/lib/libcupti.so.13"), at("/opt/cuda-test/extras/CUPTI/lib64/libcupti.so.13"));
    EXPECT_LT(at("/opt/cuda-test/extras/CUPTI/lib64/libcupti.so.13"),
              at("/opt/cuda-test/targets/x86_64-linux/lib/libcupti.so.13"));
    EXPECT_LT(at("/opt/cuda-test/targets/x86_64-linux/lib/libcupti.so"), static_cast<long>(list.size()));
  }
  const ScopedEnv unset("CUDA_HOME", std::nullopt);
  const auto list = DramCounter::search_list();
  EXPECT_NE(std::find(list.begin(), list.end(), "/usr/local/cuda/lib64/libcupti.so.13"), list.end());
}

TEST(DramCounter, NothingFoundListsEverythingSearched) {
  DramCounter counter({"/nonexistent-a/libcupti.so.13", "/nonexistent-b/libcupti.so"});
  EXPECT_FALSE(counter.available());
  if (built_without_cupti(counter)) GTEST_SKIP() << counter.why_unavailable();
  EXPECT_EQ(counter.why_unavailable(),
            "CUPTI not found (searched /nonexistent-a/libcupti.so.13, /nonexistent-b/libcupti.so): install CUDA's "
            "CUPTI or set KPG_CUPTI_LIBRARY to libcupti.so");
}

TEST(DramCounter, LoadsTheToolkitsCuptiWithoutAGpu) {
  const ScopedEnv env("KPG_CUPTI_LIBRARY", std::nullopt);
  DramCounter counter;
  if (!counter.available()) GTEST_SKIP() << "no CUPTI on this machine: " << counter.why_unavailable();
  EXPECT_FALSE(counter.library().empty());
  EXPECT_NE(counter.describe().find(counter.library()), std::string::npos) << counter.describe();
}

}  // namespace
}  // namespace kpg::memory
