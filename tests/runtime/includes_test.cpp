#include <gtest/gtest.h>

#include "runtime/error.hpp"
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

// The digest both caches key on: the source's text and each header's path (from the
// source's folder) and text; nothing about where the tree lies.
TEST(SourceDigest, ChangesWithTheSourceOrAnyHeaderAndNotWithTheTreesPlace) {
  testing::TempDir one, two;
  for (const auto* dir : {&one, &two}) {
    dir->write("src/k.cu", "#include \"a.cuh\"\n");
    dir->write("src/a.cuh", "#include <lib/b.cuh>\n");
    dir->write("inc/lib/b.cuh", "#define B 1\n");
  }
  const auto digest = [](const testing::TempDir& dir) {
    return digest_source_file(dir.path() / "src" / "k.cu", {dir.path() / "inc"});
  };
  const SourceDigest d = digest(one);
  EXPECT_EQ(d.sha256.size(), 64u);
  EXPECT_EQ(d.headers, collect_project_includes(one.path() / "src" / "k.cu", {one.path() / "inc"}));
  EXPECT_EQ(digest(two).sha256, d.sha256) << "the same files elsewhere";

  two.write("inc/lib/b.cuh", "#define B 2\n");  // a header two levels down
  EXPECT_NE(digest(two).sha256, d.sha256);
  two.write("inc/lib/b.cuh", "#define B 1\n");
  EXPECT_EQ(digest(two).sha256, d.sha256) << "an edit undone finds the old key";
  two.write("src/k.cu", "#include \"a.cuh\"\n// edited\n");
  EXPECT_NE(digest(two).sha256, d.sha256);
  EXPECT_EQ(digest_source_text(testing::read_text(one.path() / "src" / "k.cu"), one.path() / "src",
                               {one.path() / "inc", one.path() / "src"}).sha256,
            d.sha256) << "a file is digested as its text in its folder";
}

TEST(SourceDigest, AnUnreadableSourceIsAnInputError) {
  testing::TempDir dir;
  EXPECT_THROW(digest_source_file(dir.path() / "missing.cu", {}), InputError);
}

}  // namespace
}  // namespace kpg
