// `kpg compile --all` without a GPU: every candidate of every variant at every default
// shape, deduplicated, through the cubin cache, with failures that say how to reproduce them.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "runtime/cubin_cache.hpp"
#include "runtime/error.hpp"
#include "tuner/compile_all.hpp"
#include "tuner/gpu.hpp"
#include "tuner_test_support.hpp"

namespace fs = std::filesystem;

namespace kpg {
namespace {

fs::path data_dir() { return fs::path(KPG_TEST_SOURCE_DIR) / "data"; }
fs::path kernels_dir() { return fs::path(KPG_TEST_KERNELS_DIR); }

std::string read(const fs::path& file) {
  std::ifstream in(file);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

CompileAllOptions sm90_options() {
  CompileAllOptions o;
  o.arch = "sm_90";
  o.limits = h100_limits();
  o.kernels_dir = kernels_dir();
  o.jobs = 2;
  return o;
}

// Grid sizes straight from the YAML (no constraints in these configs): candidates per shape.
size_t grid_size(const OpConfig& config) {
  size_t total = 0;
  for (const auto& variant : config.variants) {
    for (const auto& space : variant.spaces) {
      size_t n = 1;
      for (const auto& [name, values] : space.params) n *= values.size();
      total += n;
    }
  }
  return total;
}

TEST(CompileAllTest, CompilesEveryCandidateOfASmallConfigThroughTheCache) {
  const test::TempDir cache_dir;
  CubinCache cache(cache_dir.path());
  const Compiler compiler(&cache);
  const OpConfig config = load_config(data_dir() / "slowed.yaml", kernels_dir());
  ASSERT_EQ(config.shapes.size(), 1u);
  const size_t expected = grid_size(config);  // reference (1) + tuned (4 x 2)
  ASSERT_EQ(expected, 9u);

  const auto first = compile_op(config, compiler, sm90_options());
  EXPECT_TRUE(first.ok()) << (first.failures.empty() ? first.config_error : first.failures[0].first_error_line);
  EXPECT_EQ(first.op, "slowed");
  EXPECT_EQ(first.candidates, expected);
  EXPECT_EQ(first.unique_compiles, expected) << "every candidate has its own defines";
  EXPECT_EQ(first.cache_hits, 0u);
  EXPECT_EQ(first.skipped_compiles, 0u);

  const auto second = compile_op(config, compiler, sm90_options());
  EXPECT_EQ(second.unique_compiles, expected);
  EXPECT_EQ(second.cache_hits, expected) << "the second pass is served by the cubin cache";
}

TEST(CompileAllTest, IdenticalCompilesAcrossShapesAndVariantsRunOnce) {
  const test::TempDir dir;
  std::string yaml = read(data_dir() / "slowed.yaml");
  // A second shape (the kernels take N as an argument: same defines) and a copy of the reference.
  const std::string shape = "  - {N: 1000003, dtype: f32}\n";
  ASSERT_NE(yaml.find(shape), std::string::npos);
  yaml.replace(yaml.find(shape), shape.size(), shape + "  - {N: 4096, dtype: f32}\n");
  yaml += "  reference_copy:\n    launches:\n"
          "      - {kernel: copy_plain, args: [x, y, N], block: [256], grid: [{ceil_div: [N, 256]}]}\n";
  const auto file = test::write_file(dir.path() / "slowed.yaml", yaml);
  for (const char* file : {"slowed.cu", "test_op_common.cuh"}) fs::copy_file(data_dir() / file, dir.path() / file);
  const OpConfig config = load_config(file, kernels_dir());
  ASSERT_EQ(config.shapes.size(), 2u);

  const auto report = compile_op(config, Compiler(), sm90_options());
  EXPECT_TRUE(report.ok());
  EXPECT_EQ(report.candidates, 2 * grid_size(config));  // 2 shapes x (1 + 8 + 1)
  EXPECT_EQ(report.unique_compiles, 9u);               // reference_copy = reference; shapes share defines
}

TEST(CompileAllTest, FailuresNameTheCandidateTheErrorAndTheCommandThatReproducesIt) {
  const test::TempDir dir;
  test::write_file(dir.path() / "picky.cu",
                   "#if BAD == 1\n#error BAD=1 does not compile\n#endif\n"
                   "extern \"C\" __global__ void copy(const float* x, float* y, int n) {\n"
                   "  const int i = blockIdx.x * blockDim.x + threadIdx.x;\n  if (i < n) y[i] = x[i];\n}\n");
  const auto file = test::write_file(dir.path() / "picky.yaml", R"(op: picky
source: picky.cu
dims: [N]
shapes:
  - {N: 4096, dtype: f32}
buffers:
  x: {dtype: f32, shape: [N]}
  y: {dtype: f32, shape: [N], output: true}
reference: {variant: plain}
tolerance:
  f32: {abs: 0.0, rel: 0.0}
variants:
  plain:
    launches:
      - {kernel: copy, args: [x, y, N], block: [256], grid: [{ceil_div: [N, 256]}]}
  picky:
    params:
      BAD: [0, 1]
    arch: sm_80
    launches:
      - {kernel: copy, args: [x, y, N], block: [256], grid: [{ceil_div: [N, 256]}]}
)");
  const auto reports = compile_all({file}, Compiler(), sm90_options());
  ASSERT_EQ(reports.size(), 1u);
  const auto& r = reports[0];
  ASSERT_TRUE(r.config_error.empty()) << r.config_error;
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.candidates, 3u);
  EXPECT_EQ(r.unique_compiles, 3u);
  ASSERT_EQ(r.failures.size(), 1u);
  const auto& f = r.failures[0];
  EXPECT_EQ(f.candidate, "picky/picky:BAD=1");
  EXPECT_EQ(f.shape, "N=4096,dtype=f32");
  EXPECT_NE(f.first_error_line.find("picky.cu(2)"), std::string::npos) << f.first_error_line;
  EXPECT_NE(f.first_error_line.find("BAD=1 does not compile"), std::string::npos) << f.first_error_line;
  const std::string source = fs::absolute(dir.path() / "picky.cu").lexically_normal().string();
  EXPECT_EQ(f.reproduce, "kpg compile " + source + " --arch sm_80 -D BAD=1 -D KPG_DTYPE_F32=1")
      << "the space's own arch wins over --arch";
}

// What `mpirun -n N kpg compile --all` does per config: each rank compiles its shard of the
// unique compiles, rank 0 merges the reports, which must say what one process says.
TEST(CompileAllTest, ShardsMergeIntoTheReportOfOneProcess) {
  const OpConfig config = load_config(data_dir() / "picky.yaml", kernels_dir());  // BAD=1 and BAD=4 fail
  const auto whole = compile_op(config, Compiler(), sm90_options());
  ASSERT_EQ(whole.unique_compiles, 6u);
  ASSERT_EQ(whole.failures.size(), 2u);

  std::vector<OpCompileReport> shards;
  for (size_t i = 0; i < 3; ++i) {
    auto options = sm90_options();
    options.shard_index = i;
    options.shard_count = 3;
    shards.push_back(decode_compile_report_json(encode_json(compile_op(config, Compiler(), options))));
    EXPECT_EQ(shards.back().unique_compiles, 2u) << "shard " << i;
    EXPECT_EQ(shards.back().candidates, whole.candidates);
  }
  EXPECT_EQ(shards[0].failures.size() + shards[1].failures.size() + shards[2].failures.size(), 2u);
  const auto merged = merge_shard_reports(shards);
  EXPECT_EQ(merged.op, whole.op);
  EXPECT_EQ(merged.candidates, whole.candidates);
  EXPECT_EQ(merged.unique_compiles, whole.unique_compiles);
  EXPECT_EQ(merged.cache_hits, whole.cache_hits);
  ASSERT_EQ(merged.failures.size(), whole.failures.size());
  for (size_t i = 0; i < whole.failures.size(); ++i) {
    EXPECT_EQ(merged.failures[i].candidate, whole.failures[i].candidate);
    EXPECT_EQ(merged.failures[i].first_error_line, whole.failures[i].first_error_line);
    EXPECT_EQ(merged.failures[i].reproduce, whole.failures[i].reproduce);
    EXPECT_EQ(merged.failures[i].job, whole.failures[i].job);
  }
  EXPECT_EQ(merged.failures[0].candidate, "picky/picky:BAD=1") << "in compile order, as one process reports them";
}

// Shards' performance warnings come out in compile order, as one process lists them.
TEST(CompileAllTest, PerformanceWarningsMergeInCompileOrder) {
  OpCompileReport first, second;
  first.performance_warnings = {{"op/s:A=3", "N=1,dtype=f32", "slow", 3}};
  second.performance_warnings = {{"op/s:A=1", "N=1,dtype=f32", "slow", 1}, {"op/s:A=5", "N=1,dtype=f32", "slow", 5}};
  const auto merged = merge_shard_reports({first, second});
  ASSERT_EQ(merged.performance_warnings.size(), 3u);
  EXPECT_EQ(merged.performance_warnings[0].job, 1u);
  EXPECT_EQ(merged.performance_warnings[1].job, 3u);
  EXPECT_EQ(merged.performance_warnings[2].job, 5u);
}

// The report MPI ranks send each other keeps every field, spills' resources included.
TEST(CompileAllTest, AReportRoundTripsThroughJson) {
  OpCompileReport r;
  r.op = "softmax";
  r.config_file = "/configs/softmax.yaml";
  r.config_error = "";
  r.candidates = 7;
  r.unique_compiles = 5;
  r.skipped_compiles = 1;
  r.cache_hits = 2;
  r.seconds = 1.5;
  r.failures.push_back({"softmax/warp:VEC=4", "M=1,N=2,dtype=f32", "k.cu(3): error: x", "kpg compile k.cu", 3});
  KernelResources k;
  k.kernel = "softmax_warp";
  k.registers = 40;
  k.stack_bytes = 16;
  k.spill_store_bytes = 8;
  k.spill_load_bytes = 4;
  k.shared_bytes = 1024;
  k.barriers = 1;
  k.from_cubin = true;
  r.spills.push_back({"softmax/warp:VEC=8", "M=1,N=2,dtype=f32", k, 4});
  r.performance_warnings.push_back({"softmax/warp:VEC=2", "M=1,N=2,dtype=f32", "wgmma serialized", 6});
  const OpCompileReport back = decode_compile_report_json(encode_json(r));
  EXPECT_EQ(encode_json(back), encode_json(r));
  EXPECT_EQ(back.config_file, r.config_file);
  EXPECT_EQ(back.failures.at(0).job, 3u);
  EXPECT_EQ(back.spills.at(0).kernel.spill_load_bytes, 4);
  EXPECT_TRUE(back.spills.at(0).kernel.from_cubin);
  EXPECT_EQ(back.performance_warnings.at(0).text, "wgmma serialized");
  EXPECT_EQ(back.performance_warnings.at(0).job, 6u);
  EXPECT_DOUBLE_EQ(back.seconds, 1.5);
  EXPECT_THROW(decode_compile_report_json("{\"op\": \"softmax\"}"), Error);
  EXPECT_THROW(decode_compile_report_json("not json"), Error);
}

// Each space compiles its own kernel file: two variants with the same (no) defines but
// different files are two compiles, and a failure's command names the failing space's file.
TEST(CompileAllTest, EachSpaceCompilesItsOwnSource) {
  const test::TempDir dir;
  const std::string copy = "extern \"C\" __global__ void copy(const float* x, float* y, int n) {\n"
                           "  const int i = blockIdx.x * blockDim.x + threadIdx.x;\n  if (i < n) y[i] = x[i];\n}\n";
  test::write_file(dir.path() / "good.cu", copy);
  test::write_file(dir.path() / "bad.cu", "#error only this space's file is broken\n" + copy);
  const auto file = test::write_file(dir.path() / "two.yaml", R"(op: two
dims: [N]
shapes:
  - {N: 4096, dtype: f32}
buffers:
  x: {dtype: f32, shape: [N]}
  y: {dtype: f32, shape: [N], output: true}
reference: {variant: good}
tolerance:
  f32: {abs: 0.0, rel: 0.0}
variants:
  good:
    source: good.cu
    launches:
      - {kernel: copy, args: [x, y, N], block: [256], grid: [{ceil_div: [N, 256]}]}
  bad:
    source: bad.cu
    launches:
      - {kernel: copy, args: [x, y, N], block: [256], grid: [{ceil_div: [N, 256]}]}
)");
  const auto reports = compile_all({file}, Compiler(), sm90_options());
  ASSERT_EQ(reports.size(), 1u);
  const auto& r = reports[0];
  ASSERT_TRUE(r.config_error.empty()) << r.config_error;
  EXPECT_EQ(r.unique_compiles, 2u);
  ASSERT_EQ(r.failures.size(), 1u);
  EXPECT_EQ(r.failures[0].candidate, "bad/bad");
  const std::string bad = fs::absolute(dir.path() / "bad.cu").lexically_normal().string();
  EXPECT_EQ(r.failures[0].reproduce, "kpg compile " + bad + " --arch sm_90 -D KPG_DTYPE_F32=1");
}

TEST(CompileAllTest, ABrokenConfigIsReportedAndTheOthersStillCompile) {
  const test::TempDir dir;
  const auto broken = test::write_file(dir.path() / "a_broken.yaml", "op: broken\nsource: [not, a, path]\n");
  const auto reports = compile_all({broken, data_dir() / "slowed.yaml"}, Compiler(), sm90_options());
  ASSERT_EQ(reports.size(), 2u);
  EXPECT_FALSE(reports[0].ok());
  EXPECT_NE(reports[0].config_error.find("a_broken.yaml"), std::string::npos) << reports[0].config_error;
  EXPECT_TRUE(reports[1].ok());
  EXPECT_EQ(reports[1].unique_compiles, 9u);
}

TEST(CompileAllTest, ListsTheYamlFilesOfAFolderInOrder) {
  const test::TempDir dir;
  test::write_file(dir.path() / "b.yaml", "");
  test::write_file(dir.path() / "a.yml", "");
  test::write_file(dir.path() / "README.md", "");
  const auto files = config_files_in(dir.path());
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0].filename(), "a.yml");
  EXPECT_EQ(files[1].filename(), "b.yaml");
  EXPECT_THROW(config_files_in(dir.path() / "missing"), InputError);
}

// The real softmax grid, scoped: all of it takes minutes on a small machine.
TEST(CompileAllTest, SoftmaxSampleCompilesCleanly) {
  const OpConfig config = load_config(fs::path(KPG_TEST_CONFIGS_DIR) / "softmax.yaml", kernels_dir());
  auto options = sm90_options();
  options.max_unique_compiles = 3;
  const auto r = compile_op(config, Compiler(), options);
  EXPECT_TRUE(r.ok()) << (r.failures.empty() ? "" : r.failures[0].first_error_line + "\n" + r.failures[0].reproduce);
  EXPECT_EQ(r.unique_compiles, 3u);
  EXPECT_GT(r.skipped_compiles, 0u);
  EXPECT_GT(r.candidates, r.unique_compiles);
}

}  // namespace
}  // namespace kpg

namespace kpg {
namespace {

// A launch naming a kernel the source does not define is found without a GPU, with the
// YAML's file:line:column of the `kernel:` value.
TEST(CompileAllTest, ALaunchOfAKernelTheSourceLacksIsAFailureNamingTheYamlLine) {
  const test::TempDir dir;
  std::string yaml = read(data_dir() / "slowed.yaml");
  const size_t at = yaml.find("kernel: copy_slowed");
  ASSERT_NE(at, std::string::npos) << yaml;
  yaml.replace(at, std::string("kernel: copy_slowed").size(), "kernel: copy_slowd");
  const int line = 1 + static_cast<int>(std::count(yaml.begin(), yaml.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
  const fs::path file = dir.path() / "slowed.yaml";
  std::ofstream(file) << yaml;
  fs::copy_file(data_dir() / "slowed.cu", dir.path() / "slowed.cu");
  fs::copy_file(data_dir() / "test_op_common.cuh", dir.path() / "test_op_common.cuh");

  const Compiler compiler(nullptr);
  const auto report = compile_op(load_config(file, kernels_dir()), compiler, sm90_options());
  ASSERT_EQ(report.failures.size(), 1u) << "named once, not once per compile";
  const std::string& why = report.failures[0].first_error_line;
  EXPECT_EQ(why.rfind(file.string() + ":" + std::to_string(line) + ":", 0), 0u) << why;
  EXPECT_NE(why.find("no kernel named 'copy_slowd' in"), std::string::npos) << why;
  EXPECT_NE(why.find("copy_slowed"), std::string::npos) << "the kernels it does define: " << why;
  EXPECT_FALSE(report.ok());
}

TEST(CompileAllTest, AVariantWithNoCandidateAtADefaultShapeIsAFailureThatSaysWhy) {
  const test::TempDir dir;
  const OpConfig config = test::load_yaml(dir, test::kTinyYaml);
  OpConfig pruned = config;
  bool constrained = false;
  for (auto& variant : pruned.variants)
    for (auto& space : variant.spaces) {
      YAML::Node never = YAML::Load("{lt: [N, 0]}");
      space.constraints.push_back(Expr::parse(never, {"tiny.yaml", 42, 1, "constraints[0]"}));
      space.constraint_notes.push_back("");
      constrained = true;
    }
  ASSERT_TRUE(constrained);
  const Compiler compiler(nullptr);
  const auto report = compile_op(pruned, compiler, sm90_options());
  ASSERT_FALSE(report.failures.empty());
  const std::string& why = report.failures[0].first_error_line;
  EXPECT_NE(why.find("no configuration passes the constraints: all "), std::string::npos) << why;
  EXPECT_NE(why.find("by constraint {lt: [N, 0]} (tiny.yaml:"), std::string::npos) << why;
}

// Every shipped config has candidates for every variant at every default shape on an
// H100 (what `kpg compile --all` now requires).
TEST(CompileAllTest, EveryShippedVariantHasCandidatesAtEveryDefaultShape) {
  for (const auto& file : config_files_in(KPG_TEST_CONFIGS_DIR)) {
    const OpConfig config = load_config(file, kernels_dir());
    for (const auto& variant : config.variants)
      for (const auto& shape : config.shapes) {
        PruneReport pruned;
        EXPECT_FALSE(enumerate(config, variant, shape, h100_limits(), &pruned).empty())
            << file << " " << variant.name << " at " << shape.to_string() << ": " << describe_pruning(pruned);
      }
  }
}

}  // namespace
}  // namespace kpg
