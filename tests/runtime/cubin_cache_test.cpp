// The cubin cache: hits, misses on every input that shapes the binary, corrupt entries.
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <iterator>

#include "runtime/compiler.hpp"
#include "runtime/cubin_cache.hpp"
#include "runtime/error.hpp"
#include "test_support.hpp"

namespace kpg {
namespace {

namespace fs = std::filesystem;

class CubinCacheTest : public ::testing::Test {
 protected:
  CubinCacheTest() : cache_(scratch_.path() / "cache"), compiler_(&cache_) {
    header_ = scratch_.write("src/params.cuh", "#define FACTOR 2.0f\n");
    source_ = scratch_.write("src/kernel.cu",
                             "#include \"params.cuh\"\n"
                             "extern \"C\" __global__ void scale(float* x) { x[threadIdx.x] *= FACTOR; }\n");
  }

  CompiledKernel compile(const CompileOptions& o = {}) const { return compiler_.compile_file(source_, o); }

  void overwrite_entry(const std::string& key, const std::function<void(std::string&)>& damage) const {
    const fs::path entry = cache_.entry_path(key);
    std::string bytes;
    {
      std::ifstream in(entry, std::ios::binary);
      bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    ASSERT_FALSE(bytes.empty());
    damage(bytes);
    std::ofstream(entry, std::ios::binary | std::ios::trunc) << bytes;
  }

  testing::TempDir scratch_;
  CubinCache cache_;
  Compiler compiler_;
  fs::path header_, source_;
};

TEST_F(CubinCacheTest, MissThenHitWithTheSameImage) {
  const auto first = compile();
  const auto second = compile();
  EXPECT_FALSE(first.cache_hit);
  EXPECT_TRUE(second.cache_hit);
  EXPECT_EQ(first.cache_key, second.cache_key);
  EXPECT_EQ(first.image, second.image);
  EXPECT_EQ(first.log, second.log) << "the ptxas report is cached with the image";
  ASSERT_EQ(second.resources.size(), 1u);
  EXPECT_EQ(second.resources[0].kernel, "scale");
  EXPECT_TRUE(fs::exists(cache_.entry_path(first.cache_key)));
}

TEST_F(CubinCacheTest, SourceEditMisses) {
  const auto before = compile();
  scratch_.write("src/kernel.cu",
                 "#include \"params.cuh\"\n"
                 "extern \"C\" __global__ void scale(float* x) { x[threadIdx.x] *= FACTOR + 1.0f; }\n");
  const auto after = compile();
  EXPECT_FALSE(after.cache_hit);
  EXPECT_NE(before.cache_key, after.cache_key);
}

TEST_F(CubinCacheTest, IncludedHeaderEditMisses) {
  const auto before = compile();
  scratch_.write("src/params.cuh", "#define FACTOR 3.0f\n");
  const auto after = compile();
  EXPECT_FALSE(after.cache_hit);
  EXPECT_NE(before.cache_key, after.cache_key);
  EXPECT_NE(before.image, after.image);
}

TEST_F(CubinCacheTest, NestedHeaderThroughIncludeDirEditMisses) {
  scratch_.write("inc/deep.cuh", "#define DEEP 1\n");
  scratch_.write("src/params.cuh", "#include <deep.cuh>\n#define FACTOR 2.0f\n");
  CompileOptions o;
  o.include_dirs = {scratch_.path() / "inc"};
  const auto before = compile(o);
  EXPECT_TRUE(compile(o).cache_hit);
  scratch_.write("inc/deep.cuh", "#define DEEP 2\n");
  EXPECT_FALSE(compile(o).cache_hit);
  EXPECT_NE(compile(o).cache_key, before.cache_key);
}

TEST_F(CubinCacheTest, DefineChangeMisses) {
  CompileOptions a, b;
  a.defines = {{"BLOCK", "128"}};
  b.defines = {{"BLOCK", "256"}};
  EXPECT_FALSE(compile(a).cache_hit);
  EXPECT_TRUE(compile(a).cache_hit);
  EXPECT_FALSE(compile(b).cache_hit);
}

TEST_F(CubinCacheTest, ArchAndFlagChangesMiss) {
  CompileOptions o;
  compile(o);
  o.arch = "sm_80";
  EXPECT_FALSE(compile(o).cache_hit);
  o.fast_math = true;
  EXPECT_FALSE(compile(o).cache_hit);
  o.ptx = true;
  const auto ptx = compile(o);
  EXPECT_FALSE(ptx.cache_hit);
  EXPECT_TRUE(compile(o).is_ptx);
}

TEST_F(CubinCacheTest, CorruptedEntryIsDetectedDeletedAndRecompiled) {
  const auto first = compile();
  overwrite_entry(first.cache_key, [](std::string& bytes) { bytes[bytes.size() / 2] ^= 0x5A; });
  EXPECT_FALSE(cache_.load(first.cache_key).has_value());
  EXPECT_FALSE(fs::exists(cache_.entry_path(first.cache_key))) << "a corrupt entry is deleted";
  const auto rebuilt = compile();
  EXPECT_FALSE(rebuilt.cache_hit);
  EXPECT_EQ(rebuilt.image, first.image);
  EXPECT_TRUE(compile().cache_hit);
}

TEST_F(CubinCacheTest, TruncatedEntryIsRecompiled) {
  const auto first = compile();
  overwrite_entry(first.cache_key, [](std::string& bytes) { bytes.resize(bytes.size() - 100); });
  const auto second = compile();
  EXPECT_FALSE(second.cache_hit);
  EXPECT_EQ(second.image, first.image);
  overwrite_entry(first.cache_key, [](std::string& bytes) { bytes.resize(10); });  // inside the header
  EXPECT_FALSE(compile().cache_hit);
  EXPECT_TRUE(compile().cache_hit);
}

TEST_F(CubinCacheTest, StoreLoadRoundTripLeavesNoTempFiles) {
  const std::vector<char> data{'a', '\0', 'b'};
  cache_.store("abc123", data);
  EXPECT_EQ(cache_.load("abc123"), data);
  EXPECT_FALSE(cache_.load("def456").has_value());
  for (const auto& f : fs::directory_iterator(cache_.dir() / "cubin")) {
    EXPECT_EQ(f.path().extension(), ".bin") << f.path();
  }
}

TEST_F(CubinCacheTest, KeysThatCouldEscapeTheFolderAreRejected) {
  EXPECT_THROW(cache_.store("../evil", {'x'}), Error);
  EXPECT_THROW(cache_.load(""), Error);
}

TEST_F(CubinCacheTest, UnwritableCacheOnlyWarns) {
  scratch_.write("blocker", "a file where the cache folder should be");
  CubinCache blocked(scratch_.path() / "blocker");
  const Compiler compiler(&blocked);
  EXPECT_FALSE(compiler.compile_file(source_, {}).cache_hit);
  EXPECT_FALSE(compiler.compile_file(source_, {}).cache_hit);
}

TEST(CubinCacheDirTest, EnvironmentPicksTheFolder) {
  const testing::ScopedEnv home("HOME", "/home/someone");
  {
    const testing::ScopedEnv explicit_dir("KPG_CACHE_DIR", "/tmp/kpg-explicit");
    const testing::ScopedEnv xdg("XDG_CACHE_HOME", "/tmp/xdg");
    EXPECT_EQ(CubinCache::default_dir(), fs::path("/tmp/kpg-explicit"));
  }
  {
    const testing::ScopedEnv explicit_dir("KPG_CACHE_DIR", std::nullopt);
    const testing::ScopedEnv xdg("XDG_CACHE_HOME", "/tmp/xdg");
    EXPECT_EQ(CubinCache::default_dir(), fs::path("/tmp/xdg/kpg"));
  }
  const testing::ScopedEnv explicit_dir("KPG_CACHE_DIR", std::nullopt);
  const testing::ScopedEnv xdg("XDG_CACHE_HOME", std::nullopt);
  EXPECT_EQ(CubinCache::default_dir(), fs::path("/home/someone/.cache/kpg"));
}

}  // namespace
}  // namespace kpg
