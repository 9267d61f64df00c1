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

// The test executable sits in the build tree, where no share/kpg exists next to its folder.
TEST(PathsTest, SourceTreeIsTheDefaultInTheBuildTree) {
  const testing::ScopedEnv kernels("KPG_KERNELS_DIR", std::nullopt);
  const testing::ScopedEnv configs("KPG_CONFIGS_DIR", std::nullopt);
  EXPECT_EQ(kernels_dir(std::nullopt), fs::path(KPG_TEST_KERNELS_DIR));
  EXPECT_EQ(configs_dir(std::nullopt), fs::path(KPG_TEST_CONFIGS_DIR));
}

TEST(PathsTest, ExecutableIsKnown) { EXPECT_TRUE(fs::exists(executable_path())); }

TEST(PathsTest, InstalledDataSitsBesideTheExecutablesFolder) {
  EXPECT_EQ(installed_data_dir("/opt/kpg/bin/kpg"), fs::path("/opt/kpg/share/kpg"));
  EXPECT_EQ(installed_data_dir(""), fs::path());
}

// An installed kpg reads its own data even when the tree it was built from still exists.
TEST(PathsTest, InstalledDataBeatsTheSourceTree) {
  const testing::TempDir dir;
  const fs::path installed = dir.path() / "prefix/share/kpg/kernels_src";
  const fs::path source = dir.path() / "src/kernels_src";
  fs::create_directories(installed);
  fs::create_directories(source);
  EXPECT_EQ(choose_data_dir(std::nullopt, nullptr, installed, source), installed);
  EXPECT_EQ(choose_data_dir(std::nullopt, "", installed, source), installed);
  EXPECT_EQ(choose_data_dir(std::string("/flag"), "/env", installed, source), fs::path("/flag"));
  EXPECT_EQ(choose_data_dir(std::nullopt, "/env", installed, source), fs::path("/env"));
}

TEST(PathsTest, SourceTreeWhenNothingIsInstalled) {
  const testing::TempDir dir;
  const fs::path source = dir.path() / "src/kernels_src";
  fs::create_directories(source);
  EXPECT_EQ(choose_data_dir(std::nullopt, nullptr, dir.path() / "build/share/kpg/kernels_src", source), source);
  EXPECT_EQ(choose_data_dir(std::nullopt, nullptr, fs::path(), source), source);
}

// Neither exists: name a folder the user can look for, so the error says what is missing.
TEST(PathsTest, MissingEverywhereNamesTheSourceTreeElseTheInstall) {
  const testing::TempDir dir;
  const fs::path installed = dir.path() / "prefix/share/kpg/configs";
  const fs::path source = dir.path() / "src/configs";
  EXPECT_EQ(choose_data_dir(std::nullopt, nullptr, installed, source), source);
  EXPECT_EQ(choose_data_dir(std::nullopt, nullptr, installed, fs::path()), installed);
}

}  // namespace
}  // namespace kpg
