// Tutorial 4 without a GPU: datasheets, the pointer chain, the measurement kernels
// compiling for sm_90, and the theory mode end to end.
#include <gtest/gtest.h>

#include <fstream>

#include <filesystem>
#include <set>
#include <sstream>
#include <unistd.h>

#include "runtime/compiler.hpp"
#include "runtime/error.hpp"
#include "tutorials/memory/datasheet.hpp"
#include "tutorials/memory/hierarchy.hpp"
#include "tutorials/memory/memory_analysis.hpp"
#include "report/text_format.hpp"

namespace kpg::memory {
namespace {

namespace fs = std::filesystem;

TEST(MemoryDatasheet, CardsByFlagAndByDriverName) {
  ASSERT_TRUE(find_datasheet("h100").has_value());
  EXPECT_EQ(find_datasheet("H100")->id, "h100-sxm");
  EXPECT_EQ(find_datasheet("h100-pcie")->sm_count, 114);
  EXPECT_FALSE(find_datasheet("rtx4090").has_value());
  EXPECT_EQ(datasheet_for_device("NVIDIA H100 80GB HBM3")->id, "h100-sxm");
  EXPECT_EQ(datasheet_for_device("NVIDIA H100 PCIe")->id, "h100-pcie");
  EXPECT_EQ(datasheet_for_device("NVIDIA H200")->id, "h200");
  EXPECT_EQ(datasheet_for_device("NVIDIA A100-SXM4-80GB")->id, "a100");
  EXPECT_FALSE(datasheet_for_device("NVIDIA A100-SXM4-40GB").has_value());
  EXPECT_FALSE(datasheet_for_device("NVIDIA H100 NVL").has_value());
}

TEST(MemoryHierarchy, PointerChainVisitsEveryLineOnceALap) {
  const auto chain = make_pointer_chain(64 << 10, 128, 7);
  ASSERT_EQ(chain.size(), (64u << 10) / 4);
  std::set<unsigned> seen;
  unsigned i = 0;
  do {
    EXPECT_EQ(i % 32, 0u);
    EXPECT_TRUE(seen.insert(i).second) << "line visited twice: " << i;
    i = chain[i];
  } while (i != 0);
  EXPECT_EQ(seen.size(), 512u);
  EXPECT_THROW(make_pointer_chain(128, 128, 1), Error);
}

TEST(MemoryHierarchy, MeasurementKernelsCompileForSm90) {
  const Compiler compiler;
  CompileOptions options;
  options.arch = "sm_90";
  const fs::path dir = fs::path(KPG_TEST_KERNELS_DIR) / "memory";
  std::set<std::string> kernels;
  for (const char* file : {"pointer_chase.cu", "streaming.cu"}) {
    const CompiledKernel compiled = compiler.compile_file(dir / file, options);
    for (const auto& r : compiled.resources) {
      kernels.insert(r.kernel);
      EXPECT_EQ(r.spill_store_bytes, 0) << r.kernel;
    }
  }
  for (const char* k : {"chase_l1", "chase_l2", "chase_shared", "stream_copy", "stream_read_l2", "stream_shared",
                        "fma_throughput", "empty_kernel"})
    EXPECT_TRUE(kernels.count(k)) << k;
}

TEST(MemoryTheory, RunsWithoutAGpuAndLabelsEverything) {
  TutorialOptions options;
  options.kernels_dir = KPG_TEST_KERNELS_DIR;
  options.configs_dir = KPG_TEST_CONFIGS_DIR;
  const fs::path out = fs::temp_directory_path() / ("kpg-memory-theory-" + std::to_string(::getpid()));
  options.results_dir = out;
  ::testing::internal::CaptureStdout();
  int rc = -1;
  std::string error;
  try {
    rc = run_memory_analysis_theory("h100", options);
  } catch (const std::exception& e) {
    error = e.what();  // reported after the capture ends, or gtest's message would be swallowed
  }
  const std::string text = ::testing::internal::GetCapturedStdout();
  ASSERT_EQ(error, "");
  EXPECT_EQ(rc, 0);
  EXPECT_NE(text.find("THEORY MODE: nothing below is measured"), std::string::npos);
  EXPECT_NE(text.find("NVIDIA H100 SXM5 80GB"), std::string::npos);
  for (const char* op : {"softmax", "layernorm", "attention"}) {
    EXPECT_NE(text.find(std::string("Memory traffic, ") + op), std::string::npos) << op;
    EXPECT_TRUE(fs::exists(out / (std::string(op) + "_roofline.svg"))) << op;
    EXPECT_TRUE(fs::exists(out / (std::string(op) + "_traffic.json"))) << op;
  }
  EXPECT_NE(text.find("theory: counted, not measured"), std::string::npos);
  // One self-contained page with the banner, each op's table, roofline and diagram.
  std::ifstream page_in(out / "report.html");
  const std::string page((std::istreambuf_iterator<char>(page_in)), std::istreambuf_iterator<char>());
  EXPECT_NE(page.find("THEORY MODE: nothing below is measured"), std::string::npos);
  for (const char* op : {"softmax", "layernorm", "attention"})
    EXPECT_NE(page.find(std::string("<title>Roofline, ") + op), std::string::npos) << op;
  EXPECT_NE(page.find("Memory traffic, attention"), std::string::npos);
  // Tables, diagrams and notes fit the lesson width (100 columns) in a log.
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) EXPECT_LE(report::display_width(line), 100u) << line;
  fs::remove_all(out);
  EXPECT_THROW(run_memory_analysis_theory("rtx4090", options), InputError);
}

}  // namespace
}  // namespace kpg::memory
