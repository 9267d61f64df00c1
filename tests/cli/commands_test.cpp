// Commands other than `kpg watch`, as a user runs them: the built binary in a child
// process, without a GPU (KPG_DRIVER_LIBRARY points nowhere).

#include <gtest/gtest.h>

#include <algorithm>

#include "cli_test_support.hpp"
#include "runtime/compiler.hpp"

namespace kpg {
namespace {

using test::Child;

class CommandsTest : public ::testing::Test {
 protected:
  // Runs `kpg args...` to the end; returns its exit status, output in `out`.
  int kpg(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
    args.insert(args.begin(), KPG_TEST_KPG_BINARY);
    env.insert({{"KPG_CACHE_DIR", (dir_.path() / "cache").string()},
                {"KPG_DRIVER_LIBRARY", "/nonexistent/libcuda.so.1"},
                {"KPG_LOG", "warn"}});
    Child child(args, env);
    const int status = child.finish();
    out = child.output();
    return status;
  }
  test::TempDir dir_;
  std::string out;
};

TEST_F(CommandsTest, CompileForAnArchNvrtcDoesNotKnowIsBadInputNamingTheOnesItDoes) {
  EXPECT_EQ(kpg({"compile", "examples/vector_add.cu", "--arch", "sm_99"}), 2) << out;
  EXPECT_NE(out.find("kpg: error: GPU architecture 'sm_99' is not supported by NVRTC "), std::string::npos) << out;
  EXPECT_NE(out.find("(it compiles for sm_"), std::string::npos) << out;
  EXPECT_NE(out.find("sm_90"), std::string::npos) << out;
  EXPECT_EQ(out.find("NVRTC_ERROR"), std::string::npos) << out;
  EXPECT_EQ(kpg({"compile", "examples/vector_add.cu", "--arch", "sm_90a"}), 0) << out;
}

TEST(NvrtcSupportedArchs, AreAscendingAndIncludeHopper) {
  const auto& archs = nvrtc_supported_archs();
  EXPECT_TRUE(std::is_sorted(archs.begin(), archs.end()));
  EXPECT_NE(std::find(archs.begin(), archs.end(), 90), archs.end());
}

TEST_F(CommandsTest, DoctorSaysWhetherCuptiLoadsWithoutAGpu) {
  EXPECT_EQ(kpg({"doctor"}, {{"KPG_CUPTI_LIBRARY", "/nonexistent/libcupti.so"}}), 0) << out;
  const size_t row = out.find("  CUPTI ");
  ASSERT_NE(row, std::string::npos) << out;
  const std::string line = out.substr(row, out.find('\n', row) - row);
  // A kpg configured without CUPTI's headers says so instead.
  if (line.find("built without CUPTI") == std::string::npos) {
    EXPECT_NE(line.find("KPG_CUPTI_LIBRARY=/nonexistent/libcupti.so could not be loaded"), std::string::npos) << line;
  }
  EXPECT_NE(out.find("no GPU: compile, cache, watch (compile only) and tutorial memory-analysis --theory work"),
            std::string::npos)
      << out;

  EXPECT_EQ(kpg({"doctor"}, {{"KPG_CUPTI_LIBRARY", ""}}), 0) << out;  // the default search
  EXPECT_NE(out.find("  CUPTI "), std::string::npos) << out;
}

}  // namespace
}  // namespace kpg
