// The resource report parsed from NVRTC's ptxas -v log, from a recorded log and from a real compile.
#include <gtest/gtest.h>

#include <algorithm>

#include "runtime/compiler.hpp"
#include "test_support.hpp"

namespace kpg {
namespace {

// Recorded from NVRTC 13.0 (--gpu-architecture=sm_90 --ptxas-options=-v).
constexpr const char* kRecordedLog =
    "ptxas info    : 0 bytes gmem\n"
    "ptxas info    : Compiling entry function '_Z1tILi64EEvPf' for 'sm_90'\n"
    "ptxas info    : Function properties for _Z1tILi64EEvPf\n"
    "ptxas         .     16 bytes stack frame, 8 bytes spill stores, 4 bytes spill loads\n"
    "ptxas info    : Used 32 registers, used 0 barriers\n"
    "ptxas info    : Compile time = 35.433 ms\n"
    "ptxas info    : Compiling entry function 'k' for 'sm_90'\n"
    "ptxas info    : Function properties for k\n"
    "ptxas         .     0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads\n"
    "ptxas info    : Used 10 registers, used 1 barriers, 1024 bytes smem\n";

TEST(PtxasReportTest, ParsesEveryKernelOfARecordedLog) {
  const auto r = parse_ptxas_resources(kRecordedLog);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].kernel, "_Z1tILi64EEvPf");
  EXPECT_EQ(r[0].registers, 32);
  EXPECT_EQ(r[0].stack_bytes, 16);
  EXPECT_EQ(r[0].spill_store_bytes, 8);
  EXPECT_EQ(r[0].spill_load_bytes, 4);
  EXPECT_EQ(r[0].shared_bytes, 0);
  EXPECT_EQ(r[1].kernel, "k");
  EXPECT_EQ(r[1].registers, 10);
  EXPECT_EQ(r[1].barriers, 1);
  EXPECT_EQ(r[1].shared_bytes, 1024);
}

// A remark recorded from NVRTC 13.0 (sm_90a), beside the resource lines it comes with.
TEST(PtxasReportTest, FindsPerformanceWarnings) {
  const std::string serialized =
      "wgmma.mma_async instructions are serialized due to non wgmma instructions reading accumulator registers "
      "of  a wgmma between start and end of the pipeline stage in the function 'flash_attn_fwd_wgmma_ws'";
  const auto w = ptxas_performance_warnings("ptxas info    : (C7514) Potential Performance Loss: " + serialized +
                                            "\n" + kRecordedLog);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0], serialized);
  EXPECT_TRUE(ptxas_performance_warnings(kRecordedLog).empty());
}

TEST(PtxasReportTest, IgnoresLogsWithoutAReport) {
  EXPECT_TRUE(parse_ptxas_resources("").empty());
  EXPECT_TRUE(parse_ptxas_resources("warning: something unrelated\n").empty());
}

TEST(PtxasReportTest, RealCompileReportsSharedMemoryAndBarriers) {
  CompileOptions o;
  o.include_dirs = {testing::examples_dir()};
  const auto k = Compiler().compile_file(testing::examples_dir() / "shared_tile.cu", o);
  const auto it = std::find_if(k.resources.begin(), k.resources.end(),
                               [](const KernelResources& r) { return r.kernel == "reverse_static"; });
  ASSERT_NE(it, k.resources.end()) << k.log;
  EXPECT_EQ(it->shared_bytes, 256 * 4);  // __shared__ float tile[256]
  EXPECT_EQ(it->barriers, 1);
  EXPECT_GT(it->registers, 0);
}

TEST(PtxasReportTest, DemanglesCppKernelNames) {
  EXPECT_EQ(demangle("_Z1tILi64EEvPf"), "void t<64>(float*)");
  EXPECT_EQ(demangle("vector_add"), "vector_add");
}

}  // namespace
}  // namespace kpg
