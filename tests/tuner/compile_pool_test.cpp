// The compile stage without a GPU: outcomes taken in index order whatever finishes first,
// a compile's exception reaching its taker, an early stop, and NVRTC's errors summarised.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

#include "runtime/compiler.hpp"
#include "tests/tuner/tuner_test_support.hpp"
#include "tuner/compile_pool.hpp"

namespace kpg {
namespace {

CompileOutcome named(size_t i) {
  CompileOutcome out;
  out.error = std::to_string(i);
  return out;
}

TEST(CompilePool, OutcomesComeInIndexOrderWhateverFinishesFirst) {
  constexpr size_t kCount = 8;
  CompilePool pool(kCount, 4, [](size_t i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2 * (kCount - i)));  // later ones finish first
    return named(i);
  });
  for (size_t k = 0; k < kCount; ++k) EXPECT_EQ(pool.take(k).error, std::to_string(k));
}

TEST(CompilePool, ACompilesExceptionReachesItsTakerOnly) {
  CompilePool pool(3, 2, [](size_t i) -> CompileOutcome {
    if (i == 1) throw std::runtime_error("no memory for NVRTC");
    return named(i);
  });
  EXPECT_EQ(pool.take(0).error, "0");
  EXPECT_THROW(pool.take(1), std::runtime_error);
  EXPECT_EQ(pool.take(2).error, "2");
}

TEST(CompilePool, DestroyedEarlyItHandsOutNoMoreWork) {
  std::atomic<size_t> started{0};
  {
    CompilePool pool(1000, 1, [&](size_t i) {
      ++started;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      return named(i);
    });
    pool.take(0);
  }  // a fault after the first candidate: the tune stops here
  EXPECT_LT(started.load(), 1000u);
}

TEST(CompilePool, ZeroCandidatesStartNoThread) {
  CompilePool pool(0, 8, [](size_t i) { return named(i); });
  EXPECT_EQ(pool.finished(), 0u);
}

TEST(CompileOutcome, ACompileErrorIsItsFirstErrorLineAndNoKernel) {
  test::TempDir dir;
  const auto good = test::write_file(dir.path() / "good.cu", "extern \"C\" __global__ void k(float* x) { x[0] = 1; }\n");
  const auto bad = test::write_file(dir.path() / "bad.cu", "// fine\nextern \"C\" __global__ void k(float* x) { x[0] = }\n");
  const Compiler compiler;
  CompileOptions options;
  options.arch = "sm_90";
  const CompileOutcome ok = compile_outcome(compiler, good, options);
  ASSERT_TRUE(ok.kernel);
  EXPECT_TRUE(ok.error.empty());
  const CompileOutcome failed = compile_outcome(compiler, bad, options);
  EXPECT_FALSE(failed.kernel);
  EXPECT_EQ(failed.error.rfind("compile error: ", 0), 0u) << failed.error;
  EXPECT_NE(failed.error.find("bad.cu(2): error"), std::string::npos) << failed.error;
  EXPECT_THROW(compile_outcome(compiler, dir.path() / "missing.cu", options), InputError) << "not a compile error";
}

TEST(CompileOutcome, FirstErrorLineSkipsWarnings) {
  EXPECT_EQ(first_error_line("a.cu(1): warning: unused\na.cu(3): error: expected a ;\nmore\n"),
            "a.cu(3): error: expected a ;");
  EXPECT_EQ(first_error_line("no problem named here\nsecond line\n"), "no problem named here");
}

}  // namespace
}  // namespace kpg
