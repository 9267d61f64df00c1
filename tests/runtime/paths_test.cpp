#include <gtest/gtest.h>

#include "runtime/paths.hpp"
#include "test_support.hpp"

namespace kpg {
namespace {

namespace fs = std::filesystem;

TEST(PathsTest, FlagBeatsEnvironmentBeatsSourceTree) {
  const testing::ScopedEnv env("KPG_KERNELS_DIR", "/env/kernels");
  EXPECT_EQ(kernels_dir(std::string("/flag/kernels")), fs::path("/flag/kernels"));
  EXPECT_EQ(kernels_dir(std::nullopt), fs::path("/env/kernels"));
}

TEST(PathsTest, SourceTreeIsTheDefault) {
  const testing::ScopedEnv kernels("KPG_KERNELS_DIR", std::nullopt);
  const testing::ScopedEnv configs("KPG_CONFIGS_DIR", std::nullopt);
  EXPECT_EQ(kernels_dir(std::nullopt), fs::path(KPG_TEST_KERNELS_DIR));
  EXPECT_EQ(configs_dir(std::nullopt), fs::path(KPG_TEST_CONFIGS_DIR));
}

TEST(PathsTest, ExecutableIsKnown) { EXPECT_TRUE(fs::exists(executable_path())); }

}  // namespace
}  // namespace kpg
