// The cubin cache: hits, misses on every input that shapes the binary, corrupt entries.
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <iterator>

#include "runtime/compiler.hpp"
#include "runtime/cubin_cache.hpp"
#include "runtime/error.hpp"
#include "runtime/includes.hpp"
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
  EXPECT_FALSE(cache_.load(first.cache_origin).has_value());
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
  cache_.store("origin a\n", data);
  EXPECT_EQ(cache_.load("origin a\n"), data);
  EXPECT_FALSE(cache_.load("origin b\n").has_value());
  EXPECT_TRUE(fs::exists(cache_.entry_path(CubinCache::key_of("origin a\n"))));
  for (const auto& f : fs::directory_iterator(cache_.dir() / "cubin")) {
    EXPECT_EQ(f.path().extension(), ".bin") << f.path();
  }
}

TEST_F(CubinCacheTest, KeysThatCouldEscapeTheFolderAreRejected) {
  EXPECT_THROW(cache_.entry_path("../evil"), Error);
  EXPECT_THROW(cache_.entry_path(""), Error);
  EXPECT_THROW(cache_.entry_path(std::string(64, 'A')), Error) << "keys are lowercase SHA-256 hex";
}

// An entry is only ever the module of what it was compiled from: one that sits under
// another source's key (copied, renamed, a key collision) is a miss, and is rebuilt.
TEST_F(CubinCacheTest, EntryCompiledFromAnotherSourceIsAMissNeverItsModule) {
  const auto original = compile();
  const fs::path other_source = scratch_.write("src/other.cu", "extern \"C\" __global__ void other(float* x) { x[0] = 1; }\n");
  const auto other = compiler_.compile_file(other_source, {});
  ASSERT_NE(original.cache_key, other.cache_key);
  fs::copy_file(cache_.entry_path(original.cache_key), cache_.entry_path(other.cache_key),
                fs::copy_options::overwrite_existing);

  const auto again = compiler_.compile_file(other_source, {});
  EXPECT_FALSE(again.cache_hit) << "the entry under this key was compiled from kernel.cu";
  ASSERT_EQ(again.resources.size(), 1u);
  EXPECT_EQ(again.resources[0].kernel, "other");
  EXPECT_EQ(again.image, other.image);
  EXPECT_TRUE(compiler_.compile_file(other_source, {}).cache_hit) << "the entry was rebuilt";
  EXPECT_EQ(compile().image, original.image);
}

TEST_F(CubinCacheTest, EachEntryNamesWhatItWasCompiledFrom) {
  CompileOptions o;
  o.defines = {{"BLOCK", "128"}};
  const auto k = compile(o);
  EXPECT_EQ(k.cache_key, CubinCache::key_of(k.cache_origin));
  EXPECT_NE(k.cache_origin.find("program " + source_.string() + "\n"), std::string::npos) << k.cache_origin;
  EXPECT_NE(k.cache_origin.find("header " + header_.string() + "\n"), std::string::npos) << k.cache_origin;
  // The source and its headers count through the digest the tuning cache keys on too.
  const std::string digest = digest_source_file(source_, {}).sha256;
  EXPECT_NE(k.cache_origin.find("source-sha256 " + digest + "\n"), std::string::npos) << k.cache_origin;
  EXPECT_NE(k.cache_origin.find("option -DBLOCK=128\n"), std::string::npos) << k.cache_origin;
  EXPECT_NE(k.cache_origin.find("target sm_90 cubin\n"), std::string::npos) << k.cache_origin;
  const std::string entry = testing::read_text(cache_.entry_path(k.cache_key));
  EXPECT_NE(entry.find(k.cache_origin), std::string::npos) << "the entry carries its origin";
}

TEST_F(CubinCacheTest, AFolderWhereAnEntryBelongsIsAMissNotACrash) {
  const auto first = compile();
  fs::remove(cache_.entry_path(first.cache_key));
  fs::create_directories(cache_.entry_path(first.cache_key));
  EXPECT_FALSE(compile().cache_hit);
  EXPECT_TRUE(fs::is_directory(cache_.entry_path(first.cache_key))) << "nothing kpg did not write is removed";
}

TEST_F(CubinCacheTest, ClearRemovesEntriesAndNothingElse) {
  const auto first = compile();
  const fs::path mine = scratch_.write("cache/cubin/notes.txt", "the user's file");
  fs::create_directories(scratch_.path() / "cache" / "cubin" / "keep");
  EXPECT_EQ(cache_.clear(), 1u);
  EXPECT_FALSE(fs::exists(cache_.entry_path(first.cache_key)));
  EXPECT_TRUE(fs::exists(mine));
  EXPECT_TRUE(fs::is_directory(scratch_.path() / "cache" / "cubin" / "keep"));
}

TEST_F(CubinCacheTest, ClearRemovesTheTempFileOfAWriterKilledMidStore) {
  cache_.store("origin a\n", {'a'});
  const int status = testing::run_with_file_size_limit(64, /*die=*/true, [&] {
    cache_.store("origin b\n", std::vector<char>(4096, 'b'));
    return true;
  });
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGXFSZ);
  size_t files = 0;
  for (const auto& f : fs::directory_iterator(cache_.dir() / "cubin")) files += f.is_regular_file() ? 1 : 0;
  ASSERT_EQ(files, 2u) << "an entry and the killed writer's temp file";
  EXPECT_EQ(cache_.clear(), 1u);
  EXPECT_FALSE(fs::exists(cache_.dir() / "cubin")) << "the temp file went too, and then the empty folder";
}

TEST_F(CubinCacheTest, ClearDoesNotFollowASymlinkedCubinFolder) {
  const fs::path victim = scratch_.path() / "victim";
  const fs::path precious = scratch_.write("victim/" + std::string(64, 'a') + ".bin", "looks like an entry");
  fs::create_directories(scratch_.path() / "cache");
  fs::create_directory_symlink(victim, scratch_.path() / "cache" / "cubin");
  EXPECT_THROW(cache_.clear(), InputError);
  EXPECT_TRUE(fs::exists(precious));
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

// With no variable to go by, the cache is this user's own folder, never a shared one that
// another user could have created (and filled with cubins) first.
TEST(CubinCacheDirTest, WithoutHomeTheCacheIsAPrivateFolderOfThisUser) {
  const testing::TempDir temp;
  const testing::ScopedEnv tmpdir("TMPDIR", temp.path().string());
  const testing::ScopedEnv home("HOME", std::nullopt);
  const testing::ScopedEnv explicit_dir("KPG_CACHE_DIR", std::nullopt);
  const testing::ScopedEnv xdg("XDG_CACHE_HOME", std::nullopt);
  const fs::path dir = CubinCache::default_dir();
  EXPECT_EQ(dir, temp.path() / ("kpg-cache-" + std::to_string(::getuid())));
  struct stat st {};
  ASSERT_EQ(::lstat(dir.c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_EQ(st.st_uid, ::getuid());
  EXPECT_EQ(CubinCache::default_dir(), dir) << "the same folder next time";

  ::chmod(dir.c_str(), 0777);  // e.g. made by someone else's umask or on purpose
  EXPECT_THROW(CubinCache::default_dir(), InputError);
  fs::remove(dir);
  fs::create_directory_symlink(temp.path(), dir);
  EXPECT_THROW(CubinCache::default_dir(), InputError) << "a symlink planted there is not followed";
  fs::remove(dir);
  if (::getuid() == 0) {  // root can make a folder that belongs to someone else
    ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
    ASSERT_EQ(::chown(dir.c_str(), 65534, 65534), 0);
    try {
      CubinCache::default_dir();
      ADD_FAILURE() << "a folder of another user was accepted";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("belongs to user id 65534"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace kpg

namespace kpg {
namespace {

// After an upgrade, entries of the older format are misses, replaced by the next compile
// (quietly: scripts/reliability.sh checks that no warning is printed for them).
TEST_F(CubinCacheTest, AnEntryOfAnOlderKpgIsAQuietMiss) {
  const auto first = compile();
  overwrite_entry(first.cache_key, [](std::string& bytes) { bytes[7] = '1'; });  // "KPGCUB01"
  EXPECT_FALSE(cache_.load(first.cache_origin).has_value());
  EXPECT_FALSE(fs::exists(cache_.entry_path(first.cache_key)));
  const auto rebuilt = compile();
  EXPECT_FALSE(rebuilt.cache_hit);
  EXPECT_TRUE(compile().cache_hit);
}

}  // namespace
}  // namespace kpg
