// The resource report read from a cubin's ELF sections agrees with ptxas's own report, so a
// compile whose NVRTC log lacks the ptxas lines (NVRTC's cache, no -v) still names its kernels.
#include <gtest/gtest.h>

#include <algorithm>

#include "runtime/compiler.hpp"
#include "runtime/cubin_elf.hpp"
#include "runtime/error.hpp"

namespace kpg {
namespace {

// Static shared memory, named barriers, a C++ template kernel with a stack frame (a local
// array indexed at run time, registers capped) and a device function that is not a kernel.
constexpr const char* kSource = R"(
__device__ __noinline__ float helper(float x) { return x * 3.0f + 1.0f; }

extern "C" __global__ void tiled(const float* a, float* c, int n) {
  __shared__ float tile[96];
  const int i = threadIdx.x;
  tile[i % 96] = a[i];
  asm volatile("bar.sync 3, 64;");
  if (i < n) c[i] = helper(tile[(i + 1) % 96]);
}

template <int N>
__global__ void local_array(float* x, int k) {
  float loc[N];
  for (int i = 0; i < N; i++) loc[i] = x[i * threadIdx.x];
  for (int j = 0; j < N; j++) loc[(j * k) % N] += loc[j];
  x[0] = loc[k % N];
}
template __global__ void local_array<64>(float*, int);

extern "C" __global__ void empty_kernel() {}
)";

const KernelResources* find(const std::vector<KernelResources>& list, const std::string& kernel) {
  const auto it = std::find_if(list.begin(), list.end(), [&](const KernelResources& r) { return r.kernel == kernel; });
  return it == list.end() ? nullptr : &*it;
}

class CubinElfTest : public ::testing::TestWithParam<std::string> {};

TEST_P(CubinElfTest, AgreesWithThePtxasReport) {
  CompileOptions o;
  o.arch = GetParam();
  o.extra = {"--maxrregcount=24"};
  const auto compiled = Compiler().compile_source(kSource, "cubin_elf_test.cu", o);
  const auto from_log = parse_ptxas_resources(compiled.log);
  ASSERT_EQ(from_log.size(), 3u) << compiled.log;
  const auto from_elf = read_cubin_resources(compiled.image);
  ASSERT_EQ(from_elf.size(), 3u) << "helper is a device function, not a kernel";

  for (const auto& expected : from_log) {
    const KernelResources* got = find(from_elf, expected.kernel);
    ASSERT_NE(got, nullptr) << expected.kernel << " missing from the ELF report";
    EXPECT_TRUE(got->from_cubin);
    EXPECT_EQ(got->registers, expected.registers) << expected.kernel;
    EXPECT_EQ(got->stack_bytes, expected.stack_bytes) << expected.kernel;
    EXPECT_EQ(got->shared_bytes, expected.shared_bytes) << expected.kernel;
    EXPECT_EQ(got->barriers, expected.barriers) << expected.kernel;
    EXPECT_EQ(got->spill_store_bytes, KernelResources::kUnknown) << "the ELF does not record spills";
  }
  // The source's facts, so the comparison above is not between two empty reports.
  EXPECT_EQ(find(from_elf, "tiled")->shared_bytes, 96 * 4);
  EXPECT_EQ(find(from_elf, "tiled")->barriers, 4);  // bar.sync 3 uses barriers 0..3
  EXPECT_GT(find(from_elf, "_Z11local_arrayILi64EEvPfi")->stack_bytes, 0);
  EXPECT_EQ(find(from_elf, "empty_kernel")->shared_bytes, 0);
}

INSTANTIATE_TEST_SUITE_P(Targets, CubinElfTest, ::testing::Values("sm_80", "sm_90", "sm_90a"));

TEST(CubinElfTest, CompileWithoutPtxasLinesStillReportsItsKernels) {
  CompileOptions o;
  o.ptxas_verbose = false;  // what a log from NVRTC's cache looks like: no ptxas lines
  const auto compiled = Compiler().compile_source(kSource, "cubin_elf_test.cu", o);
  EXPECT_TRUE(parse_ptxas_resources(compiled.log).empty()) << compiled.log;
  std::vector<std::string> kernels;
  for (const auto& r : compiled.resources) kernels.push_back(r.kernel);
  std::sort(kernels.begin(), kernels.end());
  EXPECT_EQ(kernels, (std::vector<std::string>{"_Z11local_arrayILi64EEvPfi", "empty_kernel", "tiled"}));
  for (const auto& r : compiled.resources) {
    EXPECT_TRUE(r.from_cubin);
    EXPECT_GT(r.registers, 0) << r.kernel;
  }
}

TEST(CubinElfTest, PtxasReportWinsOverTheCubin) {
  const auto compiled = Compiler().compile_source(kSource, "cubin_elf_test.cu", {});
  ASSERT_EQ(compiled.resources.size(), 3u) << compiled.log;
  for (const auto& r : compiled.resources) {
    EXPECT_FALSE(r.from_cubin) << r.kernel;
    EXPECT_GE(r.spill_store_bytes, 0) << r.kernel;
  }
}

TEST(CubinElfTest, NonElfImagesGiveNoKernels) {
  EXPECT_TRUE(read_cubin_resources({}).empty());
  const std::string ptx = ".version 9.0\n.target sm_90\n";
  EXPECT_TRUE(read_cubin_resources(std::vector<char>(ptx.begin(), ptx.end())).empty());
}

TEST(CubinElfTest, TruncatedCubinIsAnError) {
  const auto compiled = Compiler().compile_source(kSource, "cubin_elf_test.cu", {});
  std::vector<char> truncated(compiled.image.begin(), compiled.image.begin() + 200);
  EXPECT_THROW(read_cubin_resources(truncated), Error);
  // The compile path degrades to the log's report instead of failing.
  EXPECT_EQ(kernel_resources(compiled.log, truncated, false).size(), 3u);
}

// Parameter sizes as the kernel declares them, in order: a 128-byte tensor-map struct, a
// pointer, an int, a double, a char; a kernel without parameters records none.
TEST(CubinElfTest, RecordsEachKernelsParameterSizes) {
  const char* source = R"(
struct alignas(64) Map { unsigned long long opaque[16]; };
extern "C" __global__ void mixed(const __grid_constant__ Map a, float* p, int n, const __grid_constant__ Map b,
                                 double d, char c) {
  if (n > 0) p[0] = a.opaque[1] + b.opaque[3] + d + c;
}
extern "C" __global__ void none() {}
)";
  for (const char* arch : {"sm_75", "sm_80", "sm_90", "sm_90a", "sm_100"}) {
    CompileOptions o;
    o.arch = arch;
    const auto compiled = Compiler().compile_source(source, "params.cu", o);
    const auto sizes = cubin_parameter_sizes(compiled.image);
    ASSERT_EQ(sizes.count("mixed"), 1u) << arch;
    EXPECT_EQ(sizes.at("mixed"), (std::vector<size_t>{128, 8, 4, 128, 8, 1})) << arch;
    EXPECT_EQ(sizes.count("none"), 0u) << arch;
  }
  EXPECT_TRUE(cubin_parameter_sizes({}).empty());
  const std::string ptx = ".version 9.0\n.target sm_90\n";
  EXPECT_TRUE(cubin_parameter_sizes(std::vector<char>(ptx.begin(), ptx.end())).empty());
}

TEST(CubinElfTest, UnknownValuesPrintAsQuestionMarks) {
  EXPECT_EQ(format_resource(KernelResources::kUnknown), "?");
  EXPECT_EQ(format_resource(0), "0");
  EXPECT_EQ(format_resource(255), "255");
}

}  // namespace
}  // namespace kpg
