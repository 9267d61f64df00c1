// The wording of a watch round's numbers.

#include "cli/watch/round_report.hpp"

#include <gtest/gtest.h>

namespace kpg {
namespace {

TEST(RoundReport, FirstTimeAlone) {
  EXPECT_EQ(time_change(std::nullopt, {"s:T=1", 0.0471, 1.0}), "0.0471 ms");
}

TEST(RoundReport, FasterAndSlowerBesideLastRound) {
  EXPECT_EQ(time_change(TimedRun{"s", 0.0495, 1.0}, {"s", 0.0471, 1.0}), "0.0495 ms -> 0.0471 ms  (4.8% faster)");
  EXPECT_EQ(time_change(TimedRun{"s", 0.0400, 1.0}, {"s", 0.0500, 2.0}), "0.0400 ms -> 0.0500 ms  (25.0% slower)");
}

TEST(RoundReport, AChangeInsideTheSpreadIsMarkedAsNoise) {
  EXPECT_EQ(time_change(TimedRun{"s", 0.1000, 3.0}, {"s", 0.0980, 1.0}),
            "0.1000 ms -> 0.0980 ms  (2.0% faster, within noise: spread 3.0%)");
  EXPECT_EQ(time_change(TimedRun{"s", 0.1000, 3.0}, {"s", 0.1000, 1.0}), "0.1000 ms -> 0.1000 ms  (no change)");
}

TEST(RoundReport, CompileTimeWithCacheOutcomeAndLastRound) {
  CompiledKernel k;
  k.compile_ms = 812.4;
  k.cache_hit = false;
  EXPECT_EQ(compile_change(std::nullopt, k), "compiled in 812 ms (cubin cache miss)");
  k.compile_ms = 3.21;
  k.cache_hit = true;
  EXPECT_EQ(compile_change(790.0, k), "compiled in 3.2 ms (cubin cache hit); last round 790 ms");
}

TEST(RoundReport, Durations) {
  EXPECT_EQ(format_duration_ms(0.42), "0.4 ms");
  EXPECT_EQ(format_duration_ms(412.4), "412 ms");
  EXPECT_EQ(format_duration_ms(12345), "12.3 s");
}

TEST(RoundReport, Resources) {
  KernelResources a;
  a.kernel = "copy_tuned";
  a.registers = 8;
  a.spill_store_bytes = 0;
  a.spill_load_bytes = 0;
  a.stack_bytes = 0;
  EXPECT_EQ(resource_summary({a}), "8 registers, no spills");
  KernelResources b = a;
  b.kernel = "copy_plain";
  b.registers = 40;
  b.spill_store_bytes = 16;
  b.spill_load_bytes = 8;
  b.stack_bytes = 24;
  EXPECT_EQ(resource_summary({a, b}), "copy_tuned 8, copy_plain 40 registers, SPILLS 24 B (stack 24 B)");
  EXPECT_EQ(resource_summary({}), "no resource report");
  // Only the kernels the chosen space launches count (a file holds every variant's).
  EXPECT_EQ(resource_summary({a, b}, {"copy_plain"}), "40 registers, SPILLS 24 B (stack 24 B)");
  KernelResources mangled = a;
  mangled.kernel = "_Z10vector_addPKfS0_Pfi";
  EXPECT_EQ(resource_summary({a, mangled}, {"vector_add"}), "8 registers, no spills");
}

TEST(RoundReport, ParamsAndFileNames) {
  EXPECT_EQ(params_of("block_per_row:CLUSTER=1,THREADS=256"), "CLUSTER=1,THREADS=256");
  EXPECT_EQ(params_of("plain"), "no params");
  EXPECT_EQ(file_names({"/a/softmax.cu", "/b/kpg_common.cuh"}), "softmax.cu, kpg_common.cuh");
}

}  // namespace
}  // namespace kpg
