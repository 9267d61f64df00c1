// NVRTC compilation without a GPU: targets, PTX, defines, errors with file:line, threads.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <future>
#include <set>

#include "runtime/compiler.hpp"
#include "runtime/error.hpp"
#include "test_support.hpp"

namespace kpg {
namespace {

using testing::examples_dir;

bool is_elf(const std::vector<char>& image) { return image.size() > 4 && std::memcmp(image.data(), "\x7f" "ELF", 4) == 0; }

bool has_kernel(const CompiledKernel& k, const std::string& name) {
  return std::any_of(k.resources.begin(), k.resources.end(), [&](const auto& r) { return r.kernel == name; });
}

class CompilerArchTest : public ::testing::TestWithParam<std::string> {};

TEST_P(CompilerArchTest, CompilesVectorAddToACubin) {
  CompileOptions o;
  o.arch = GetParam();
  const auto k = Compiler().compile_file(examples_dir() / "vector_add.cu", o);
  EXPECT_FALSE(k.is_ptx);
  EXPECT_TRUE(is_elf(k.image)) << "cubin is an ELF image";
  EXPECT_TRUE(has_kernel(k, "vector_add")) << k.log;
  EXPECT_FALSE(k.cache_hit);
  EXPECT_EQ(k.cache_key.size(), 64u);
}

INSTANTIATE_TEST_SUITE_P(Targets, CompilerArchTest, ::testing::Values("sm_80", "sm_90", "sm_90a"));

TEST(CompilerTest, DifferentTargetsGiveDifferentKeysAndImages) {
  CompileOptions a, b;
  a.arch = "sm_80";
  b.arch = "sm_90";
  const Compiler c;
  const auto ka = c.compile_file(examples_dir() / "vector_add.cu", a);
  const auto kb = c.compile_file(examples_dir() / "vector_add.cu", b);
  EXPECT_NE(ka.cache_key, kb.cache_key);
  EXPECT_NE(ka.image, kb.image);
}

TEST(CompilerTest, PtxOnRequestIsNulTerminatedText) {
  CompileOptions o;
  o.ptx = true;
  const auto k = Compiler().compile_file(examples_dir() / "vector_add.cu", o);
  ASSERT_TRUE(k.is_ptx);
  ASSERT_FALSE(k.image.empty());
  EXPECT_EQ(k.image.back(), '\0');
  EXPECT_NE(std::string(k.image.data()).find(".entry vector_add"), std::string::npos);
}

TEST(CompilerTest, BrokenKernelNamesFileAndLine) {
  const auto file = examples_dir() / "broken.cu";
  try {
    Compiler().compile_file(file, {});
    FAIL() << "broken.cu compiled";
  } catch (const CompileError& e) {
    EXPECT_EQ(e.source_name(), std::filesystem::absolute(file).lexically_normal().string());
    EXPECT_NE(e.log().find(e.source_name() + "(6): error"), std::string::npos) << e.log();
    EXPECT_NE(e.log().find("undefined_value"), std::string::npos) << e.log();
    EXPECT_NE(std::find(e.options().begin(), e.options().end(), "--gpu-architecture=sm_90"), e.options().end());
  }
}

TEST(CompilerTest, DefinesReachTheSource) {
  const std::string src = "#if VALUE != 3\n#error VALUE must be 3\n#endif\nextern \"C\" __global__ void k() {}\n";
  CompileOptions o;
  EXPECT_THROW(Compiler().compile_source(src, "define_check.cu", o), CompileError);
  o.defines = {{"VALUE", "3"}};
  EXPECT_NO_THROW(Compiler().compile_source(src, "define_check.cu", o));
}

TEST(CompilerTest, EveryCompileSeesKpgNvrtcAndToolkitHeaders) {
  const std::string src =
      "#include <cuda_fp16.h>\n#if !KPG_NVRTC\n#error no KPG_NVRTC\n#endif\n"
      "extern \"C\" __global__ void h(__half* x) { x[0] = __float2half(1.0f); }\n";
  EXPECT_NO_THROW(Compiler().compile_source(src, "fp16.cu", {}));
}

TEST(CompilerTest, MalformedArchIsBadInput) {
  CompileOptions o;
  o.arch = "hopper";
  EXPECT_THROW(Compiler().compile_file(examples_dir() / "vector_add.cu", o), InputError);
}

TEST(CompilerTest, MissingFileIsBadInput) {
  EXPECT_THROW(Compiler().compile_file(examples_dir() / "no_such_kernel.cu", {}), InputError);
}

TEST(CompilerTest, CompilesVariantsInParallel) {
  const Compiler compiler;
  std::vector<std::future<CompiledKernel>> jobs;
  for (int i = 1; i <= 6; ++i) {
    jobs.push_back(std::async(std::launch::async, [&compiler, i] {
      CompileOptions o;
      o.defines = {{"SCALE", std::to_string(i) + ".0f"}};
      return compiler.compile_file(examples_dir() / "vector_add.cu", o);
    }));
  }
  std::set<std::string> keys;
  for (auto& j : jobs) {
    const auto k = j.get();
    EXPECT_TRUE(is_elf(k.image));
    keys.insert(k.cache_key);
  }
  EXPECT_EQ(keys.size(), 6u);
}

TEST(CompilerTest, NvrtcVersionMatchesTheHeader) {
  EXPECT_GE(nvrtc_version(), 12000);
  EXPECT_FALSE(cuda_include_dir().empty()) << "toolkit headers not found";
}

}  // namespace
}  // namespace kpg
