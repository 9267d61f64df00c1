#include <gtest/gtest.h>

#include "runtime/includes.hpp"
#include "test_support.hpp"

namespace kpg {
namespace {

namespace fs = std::filesystem;

TEST(IncludesTest, FollowsQuotedAndAngleIncludesRecursivelyOnce) {
  testing::TempDir dir;
  const auto a = dir.write("src/a.cuh", "#include \"b.cuh\"\n#include \"a.cuh\"\n");  // cycle through itself
  const auto b = dir.write("src/b.cuh", "  #  include <lib/c.cuh>\n");
  const auto c = dir.write("inc/lib/c.cuh", "#include \"a.cuh\"\n");  // not next to c: resolved nowhere
  const auto src = dir.write("src/k.cu",
                             "#include <cuda_fp16.h>\n#include \"a.cuh\"\n// #include \"commented.cuh\" is not a file\n");
  const auto found = collect_project_includes(src, {dir.path() / "inc"});
  EXPECT_EQ(found, (std::vector<fs::path>{a, b, c}));
}

TEST(IncludesTest, QuotedIncludesPreferTheIncludingFolder) {
  testing::TempDir dir;
  const auto local = dir.write("src/common.cuh", "");
  dir.write("inc/common.cuh", "");
  const auto src = dir.write("src/k.cu", "#include \"common.cuh\"\n");
  EXPECT_EQ(collect_project_includes(src, {dir.path() / "inc"}), std::vector<fs::path>{local});
}

TEST(IncludesTest, ToolkitAndMissingHeadersAreSkipped) {
  testing::TempDir dir;
  const auto src = dir.write("k.cu", "#include <cuda_fp16.h>\n#include \"missing.cuh\"\n");
  EXPECT_TRUE(collect_project_includes(src, {}).empty());
}

TEST(IncludesTest, ExampleKernelIncludesItsCommonHeader) {
  const auto found = collect_project_includes(testing::examples_dir() / "vector_add.cu", {});
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].filename(), "example_common.cuh");
}

}  // namespace
}  // namespace kpg
