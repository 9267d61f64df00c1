#include <gtest/gtest.h>

#include "runtime/error.hpp"

namespace kpg {
namespace {

TEST(ErrorTest, CuCheckCarriesTheCallTheResultAndTheLocation) {
  try {
    KPG_CU_CHECK(CUDA_ERROR_INVALID_VALUE);
    FAIL() << "KPG_CU_CHECK did not throw";
  } catch (const CudaError& e) {
    EXPECT_EQ(e.result(), CUDA_ERROR_INVALID_VALUE);
    EXPECT_EQ(e.call(), "CUDA_ERROR_INVALID_VALUE");
    EXPECT_NE(std::string(e.what()).find("error_test.cpp:"), std::string::npos) << e.what();
  }
}

TEST(ErrorTest, CuCheckPassesSuccess) { EXPECT_NO_THROW(KPG_CU_CHECK(CUDA_SUCCESS)); }

TEST(ErrorTest, NvrtcCheckNamesTheNvrtcError) {
  try {
    KPG_NVRTC_CHECK(nvrtcCompileProgram(nullptr, 0, nullptr));
    FAIL() << "KPG_NVRTC_CHECK did not throw";
  } catch (const NvrtcError& e) {
    EXPECT_EQ(e.result(), NVRTC_ERROR_INVALID_PROGRAM);
    EXPECT_NE(std::string(e.what()).find("NVRTC_ERROR_INVALID_PROGRAM"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("nvrtcCompileProgram(nullptr, 0, nullptr)"), std::string::npos);
  }
}

TEST(ErrorTest, HierarchyLetsCallersCatchByLayer) {
  EXPECT_THROW(throw CompileError("k.cu", "log", {}), Error);
  EXPECT_THROW(throw NoDriverError("x"), Error);
  EXPECT_THROW(throw InputError("x"), Error);
  EXPECT_THROW(throw LaunchConfigError("x"), Error);
}

}  // namespace
}  // namespace kpg
