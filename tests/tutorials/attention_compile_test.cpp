// CPU tests (no GPU needed): the attention kernels compile with NVRTC for their target,
// as the tuner would compile them. Flash attention: every space of the grid at its extremes
// (first and last candidate the constraints keep) and its default, for both head dims,
// both dtypes, causal or not; ptxas must report no spills (the config prunes the points
// that would). Standard attention's helper kernels: both dtypes.

#include <gtest/gtest.h>

#include <filesystem>
#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "runtime/compiler.hpp"
#include "runtime/error.hpp"
#include "tests/tutorials/space_point.hpp"
#include "tuner/config.hpp"
#include "tuner/gpu.hpp"
#include "tuner/scope.hpp"
#include "tuner/space.hpp"

namespace kpg {
namespace {

namespace fs = std::filesystem;

const fs::path kKernels = KPG_TEST_KERNELS_DIR;

struct Job {
  std::string what;
  fs::path source;
  CompileOptions options;
};

// How the tuner compiles candidate c of the flash variant at `shape`: its space's arch
// (sm_90 when the space names none), its defines, the kernels folder on the include path.
Job candidate_job(const OpConfig& config, const VariantSpec& flash, const Candidate& c, const Shape& shape) {
  const auto& space = flash.spaces.at(c.space_index);
  Job job{shape.to_string() + " " + c.id(), space.source, {}};
  job.options.arch = space.arch.empty() ? "sm_90" : space.arch;
  job.options.defines = compile_defines(config, c, shape, h100_limits());
  job.options.include_dirs = {kKernels, space.source.parent_path()};
  return job;
}

// The sample of the grid: per space, its first and last kept candidate and its default.
std::vector<Candidate> extremes(const OpConfig& config, const VariantSpec& variant, const Shape& shape) {
  const auto all = enumerate(config, variant, shape, h100_limits(), nullptr);
  std::map<std::string, Candidate> picked;  // by id: no candidate twice
  for (size_t space = 0; space < variant.spaces.size(); ++space) {
    const Candidate* first = nullptr;
    const Candidate* last = nullptr;
    for (const auto& c : all) {
      if (c.space_index != space) continue;
      if (!first) first = &c;
      last = &c;
      if (c.is_default) picked.emplace(c.id(), c);
    }
    if (first) picked.emplace(first->id(), *first);
    if (last) picked.emplace(last->id(), *last);
  }
  std::vector<Candidate> out;
  for (auto& [id, c] : picked) out.push_back(c);
  return out;
}

const SpaceSpec* find_space(const VariantSpec& variant, const std::string& name) {
  for (const auto& space : variant.spaces)
    if (space.name == name) return &space;
  return nullptr;
}

// Compiles every job on all cores; returns one message per failure.
std::vector<std::string> compile_all(const std::vector<Job>& jobs,
                                     std::vector<CompiledKernel>* compiled = nullptr) {
  const Compiler compiler(nullptr);  // no cache: really compile
  std::vector<std::string> failures;
  std::vector<CompiledKernel> results(jobs.size());
  std::atomic<size_t> next{0};
  std::mutex mutex;
  const auto work = [&] {
    for (size_t i = next++; i < jobs.size(); i = next++) {
      try {
        results[i] = compiler.compile_file(jobs[i].source, jobs[i].options);
      } catch (const CompileError& e) {
        const std::lock_guard lock(mutex);
        failures.push_back(jobs[i].what + ": " + e.log().substr(0, 2000));
      } catch (const Error& e) {
        const std::lock_guard lock(mutex);
        failures.push_back(jobs[i].what + ": " + e.what());
      }
    }
  };
  std::vector<std::thread> threads;
  for (unsigned t = 1; t < std::max(1u, std::thread::hardware_concurrency()); ++t) threads.emplace_back(work);
  work();
  for (auto& t : threads) t.join();
  if (compiled) *compiled = std::move(results);
  return failures;
}

TEST(AttentionKernelsCompile, FlashGridExtremesCompileForTheirTargetWithoutSpills) {
  const OpConfig config = load_config(fs::path(KPG_TEST_CONFIGS_DIR) / "attention.yaml", kKernels);
  const VariantSpec* flash = config.find_variant("flash");
  ASSERT_NE(flash, nullptr);
  std::vector<Job> jobs;
  for (const DType dtype : config.dtypes) {
    for (const int64_t d : {64, 128}) {
      for (const int64_t causal : {0, 1}) {
        Shape shape;
        shape.dims = {{"B", 1}, {"H", 1}, {"N", 1024}, {"D", d}, {"CAUSAL", causal}};
        shape.dtype = dtype;
        const auto sample = extremes(config, *flash, shape);
        EXPECT_FALSE(sample.empty()) << shape.to_string();
        for (const auto& c : sample) jobs.push_back(candidate_job(config, *flash, c, shape));
      }
    }
  }
  std::vector<CompiledKernel> compiled;
  const auto failures = compile_all(jobs, &compiled);
  for (const auto& f : failures) ADD_FAILURE() << f;
  if (!failures.empty()) return;
  for (size_t i = 0; i < jobs.size(); ++i) {
    ASSERT_FALSE(compiled[i].image.empty()) << jobs[i].what;
    ASSERT_FALSE(compiled[i].resources.empty()) << jobs[i].what << ": no ptxas report";
    for (const auto& r : compiled[i].resources) {
      EXPECT_EQ(r.spill_store_bytes, 0) << jobs[i].what << " " << r.kernel;
      EXPECT_EQ(r.spill_load_bytes, 0) << jobs[i].what << " " << r.kernel;
      EXPECT_EQ(r.stack_bytes, 0) << jobs[i].what << " " << r.kernel;
    }
    // ptxas falls back to serialized wgmma (a wait after each one) when it cannot keep the
    // accumulators in place; it says so with a "Potential Performance Loss" warning.
    EXPECT_EQ(compiled[i].log.find("serialized"), std::string::npos) << jobs[i].what << ": " << compiled[i].log;
  }
}

// Every space of the flash variant is sampled: stage 1 (mma.sync, the device's arch), stages
// 2 and 3 (wgmma, wgmma_ws: sm_90a only); the wgmma space compiles flash_attn_fwd_wgmma alone.
TEST(AttentionKernelsCompile, FlashWgmmaSpaceTargetsSm90a) {
  const OpConfig config = load_config(fs::path(KPG_TEST_CONFIGS_DIR) / "attention.yaml", kKernels);
  const VariantSpec* flash = config.find_variant("flash");
  ASSERT_NE(flash, nullptr);
  const SpaceSpec* wgmma = find_space(*flash, "wgmma");
  ASSERT_NE(wgmma, nullptr);
  EXPECT_EQ(wgmma->arch, "sm_90a");
  Shape shape;
  shape.dims = {{"B", 1}, {"H", 1}, {"N", 1000}, {"D", 128}, {"CAUSAL", 1}};
  shape.dtype = DType::bf16;
  const auto def = testing::space_point(config, *flash, shape, h100_limits(), "wgmma");
  ASSERT_TRUE(def.has_value()) << "the wgmma default must survive the constraints at D = 128";
  std::vector<CompiledKernel> compiled;
  const auto failures = compile_all({candidate_job(config, *flash, *def, shape)}, &compiled);
  for (const auto& f : failures) ADD_FAILURE() << f;
  if (!failures.empty()) return;
  std::vector<std::string> kernels;
  for (const auto& r : compiled[0].resources) kernels.push_back(r.kernel);
  EXPECT_EQ(kernels, std::vector<std::string>{"flash_attn_fwd_wgmma"});
}

// Stage 3 (wgmma_ws, sm_90a): the default (three consumers at BLOCK_N 128, every copy
// through TMA, the epilogue under the next tile's first GEMM), the two-consumer ping-pong
// form with cp.async copies and with the default's, the default causal with its tiles
// longest first (LPT_MB) and with P V a tile behind (PV_LAG, two consumers with the turns
// and three), K/V through TMA alone (KV_TMA = 1, at the widest K/V tile) and shared by a
// cluster of two blocks (CLUSTER = 2)
// compile flash_attn_fwd_wgmma_ws alone, without spills or serialized wgmma, at both head
// dims (the grid-extremes test above never reaches PINGPONG = 1: it is not the last point
// of the space).
TEST(AttentionKernelsCompile, FlashWgmmaWsSpaceTargetsSm90a) {
  const OpConfig config = load_config(fs::path(KPG_TEST_CONFIGS_DIR) / "attention.yaml", kKernels);
  const VariantSpec* flash = config.find_variant("flash");
  ASSERT_NE(flash, nullptr);
  const SpaceSpec* ws = find_space(*flash, "wgmma_ws");
  ASSERT_NE(ws, nullptr);
  EXPECT_EQ(ws->arch, "sm_90a");
  std::vector<Job> jobs;
  for (const int64_t d : {64, 128}) {
    Shape shape;
    shape.dims = {{"B", 1}, {"H", 1}, {"N", 1000}, {"D", d}, {"CAUSAL", 0}};
    shape.dtype = DType::bf16;
    const auto def = testing::space_point(config, *flash, shape, h100_limits(), "wgmma_ws");
    ASSERT_TRUE(def.has_value()) << "the wgmma_ws default must survive the constraints at D = " << d;
    shape.dims["CAUSAL"] = 1;
    const auto pp =
        testing::space_point(config, *flash, shape, h100_limits(), "wgmma_ws",
                             testing::plain_copies({{"NUM_WG", 2}, {"PINGPONG", 1}}));
    ASSERT_TRUE(pp.has_value()) << "two consumers with PINGPONG = 1 must survive the constraints at D = " << d;
    const ParamSet tma_point = testing::plain_copies(
        {{"NUM_WG", 2}, {"KV_TMA", 1}, {"BLOCK_N", d == 64 ? 192 : 128}});  // the widest that fits
    const auto tma_causal = testing::space_point(config, *flash, shape, h100_limits(), "wgmma_ws", tma_point);
    jobs.push_back(candidate_job(config, *flash, *pp, shape));
    const auto pp_epi = testing::space_point(config, *flash, shape, h100_limits(), "wgmma_ws",
                                             {{"NUM_WG", 2}, {"PINGPONG", 1}, {"EPI_OVERLAP", 1}});
    ASSERT_TRUE(pp_epi.has_value()) << "PINGPONG with EPI_OVERLAP = 1 must survive the constraints at D = " << d;
    jobs.push_back(candidate_job(config, *flash, *pp_epi, shape));
    // the default's copies and overlap with causal tiles longest first, at the widest tile
    // three consumers keep with the mask
    const auto lpt = testing::space_point(config, *flash, shape, h100_limits(), "wgmma_ws",
                                          {{"BLOCK_N", d == 64 ? 128 : 96}, {"LPT_MB", 32}});
    ASSERT_TRUE(lpt.has_value()) << "LPT_MB = 32 must survive the constraints at D = " << d;
    jobs.push_back(candidate_job(config, *flash, *lpt, shape));
    // PV_LAG with the default's copies: two consumers with the turns, three at the widest
    // tile they keep with it, and FlashAttention-3's 128 x 176 tile (one tile a block)
    for (const ParamSet& lag : {ParamSet{{"NUM_WG", 2}, {"PINGPONG", 1}, {"PV_LAG", 1}},
                                ParamSet{{"BLOCK_N", d == 64 ? 128 : 64}, {"PV_LAG", 1}},
                                ParamSet{{"NUM_WG", 2}, {"BLOCK_N", 176}, {"PINGPONG", 1}, {"PV_LAG", 1},
                                         {"PERSIST", 0}, {"EPI_OVERLAP", 0}}}) {
      const auto point = testing::space_point(config, *flash, shape, h100_limits(), "wgmma_ws", lag);
      ASSERT_TRUE(point.has_value()) << "PV_LAG = 1 must survive the constraints at D = " << d;
      jobs.push_back(candidate_job(config, *flash, *point, shape));
    }
    shape.dims["CAUSAL"] = 0;
    jobs.push_back(candidate_job(config, *flash, *def, shape));
    const auto tma = testing::space_point(config, *flash, shape, h100_limits(), "wgmma_ws", tma_point);
    ASSERT_TRUE(tma.has_value() && tma_causal.has_value()) << "KV_TMA = 1 must survive the constraints at D = " << d;
    jobs.push_back(candidate_job(config, *flash, *tma, shape));
    // clusters of two blocks sharing each K/V tile (TMA multicast): the default's point, and
    // two consumers with the turns and PV_LAG; without TMA or under the causal mask, pruned
    for (const ParamSet& mc : {ParamSet{{"CLUSTER", 2}}, ParamSet{{"CLUSTER", 2}, {"NUM_WG", 2}, {"PINGPONG", 1},
                                                                  {"PV_LAG", 1}}}) {
      const auto point = testing::space_point(config, *flash, shape, h100_limits(), "wgmma_ws", mc);
      ASSERT_TRUE(point.has_value()) << "CLUSTER = 2 must survive the constraints at D = " << d;
      jobs.push_back(candidate_job(config, *flash, *point, shape));
    }
    EXPECT_FALSE(testing::space_point(config, *flash, shape, h100_limits(), "wgmma_ws",
                                      testing::plain_copies({{"CLUSTER", 2}}))
                     .has_value());
    shape.dims["CAUSAL"] = 1;
    EXPECT_FALSE(testing::space_point(config, *flash, shape, h100_limits(), "wgmma_ws", {{"CLUSTER", 2}}).has_value());
    jobs.push_back(candidate_job(config, *flash, *tma_causal, shape));
  }
  std::vector<CompiledKernel> compiled;
  const auto failures = compile_all(jobs, &compiled);
  for (const auto& f : failures) ADD_FAILURE() << f;
  if (!failures.empty()) return;
  for (size_t i = 0; i < jobs.size(); ++i) {
    std::vector<std::string> kernels;
    for (const auto& r : compiled[i].resources) {
      kernels.push_back(r.kernel);
      EXPECT_EQ(r.spill_store_bytes, 0) << jobs[i].what;
      EXPECT_EQ(r.stack_bytes, 0) << jobs[i].what;
    }
    EXPECT_EQ(kernels, std::vector<std::string>{"flash_attn_fwd_wgmma_ws"}) << jobs[i].what;
    EXPECT_EQ(compiled[i].log.find("serialized"), std::string::npos) << jobs[i].what << ": " << compiled[i].log;
  }
}

// Stage 3 in clusters of two (CLUSTER = 2): the grid's x is whole clusters, one block for
// every query tile of a head and at most one more (PERSIST = 0), or at most one cluster for
// every pair of query tiles and no more blocks than SMs (PERSIST = 1).
TEST(AttentionKernelsCompile, FlashWgmmaWsClusterGridIsWholeClusters) {
  const OpConfig config = load_config(fs::path(KPG_TEST_CONFIGS_DIR) / "attention.yaml", kKernels);
  const VariantSpec* flash = config.find_variant("flash");
  ASSERT_NE(flash, nullptr);
  const SpaceSpec* ws = find_space(*flash, "wgmma_ws");
  ASSERT_NE(ws, nullptr);
  ASSERT_EQ(ws->launches.size(), 1u);
  for (const int64_t n : {17, 300, 1000, 16384})
    for (const int64_t persist : {0, 1}) {
      Shape shape;
      shape.dims = {{"B", 4}, {"H", 16}, {"N", n}, {"D", 128}, {"CAUSAL", 0}};
      shape.dtype = DType::f16;
      const auto c = testing::space_point(config, *flash, shape, h100_limits(), "wgmma_ws",
                                          testing::plain_copies({{"CLUSTER", 2}, {"KV_TMA", 1}, {"NUM_WG", 2},
                                                                 {"PERSIST", persist}}));
      ASSERT_TRUE(c.has_value()) << "N = " << n << ", PERSIST = " << persist;
      const Scope scope = make_scope(shape, c->params, h100_limits());
      const int64_t x = ws->launches[0].grid[0].eval_int(scope);
      const int64_t y = ws->launches[0].grid[1].eval_int(scope);
      const int64_t q_tiles = (n + 127) / 128;
      EXPECT_EQ(x % 2, 0) << "N = " << n << ", PERSIST = " << persist;
      if (persist == 1) {
        EXPECT_EQ(y, 1);
        EXPECT_LE(x, h100_limits().sm_count);
        EXPECT_EQ(x, 2 * std::min<int64_t>((q_tiles + 1) / 2 * 4 * 16, h100_limits().sm_count / 2)) << "N = " << n;
      } else {
        EXPECT_EQ(y, 4 * 16);
        EXPECT_EQ(x, (q_tiles + 1) / 2 * 2) << "N = " << n;
      }
    }
}

// Without sm_90a the wgmma header refuses to compile, with a message that names the fix.
TEST(AttentionKernelsCompile, FlashWgmmaRejectsPlainSm90) {
  Job job{"sm_90", kKernels / "attention" / "flash_wgmma.cu", {}};
  job.options.arch = "sm_90";
  job.options.defines = {{"KPG_DTYPE_F16", "1"}, {"HEAD_DIM", "64"}, {"CAUSAL", "0"},
                         {"NUM_WG", "2"}, {"BLOCK_N", "128"}, {"STAGES", "2"}};
  job.options.include_dirs = {kKernels};
  const auto failures = compile_all({job});
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_NE(failures[0].find("sm_90a"), std::string::npos) << failures[0];
}

TEST(AttentionKernelsCompile, StandardAttentionHelpersCompileForBothDtypes) {
  std::vector<Job> jobs;
  for (const char* dtype : {"KPG_DTYPE_F16", "KPG_DTYPE_BF16"}) {
    Job job{dtype, kKernels / "attention" / "standard.cu", {}};
    job.options.arch = "sm_90";
    job.options.defines = {{dtype, "1"}, {"THREADS", "256"}};
    job.options.include_dirs = {kKernels};
    jobs.push_back(std::move(job));
  }
  std::vector<CompiledKernel> compiled;
  const auto failures = compile_all(jobs, &compiled);
  for (const auto& f : failures) ADD_FAILURE() << f;
  if (!failures.empty()) return;
  for (size_t i = 0; i < jobs.size(); ++i) {
    std::vector<std::string> kernels;
    for (const auto& r : compiled[i].resources) kernels.push_back(r.kernel);
    EXPECT_NE(std::find(kernels.begin(), kernels.end(), "attn_causal_mask"), kernels.end()) << jobs[i].what;
    EXPECT_NE(std::find(kernels.begin(), kernels.end(), "attn_cast_probs"), kernels.end()) << jobs[i].what;
  }
}

// The helpers refuse f32 (the cast targets V's 16-bit type): a clear compile error.
TEST(AttentionKernelsCompile, StandardAttentionHelpersRejectFloat32) {
  Job job{"f32", kKernels / "attention" / "standard.cu", {}};
  job.options.defines = {{"KPG_DTYPE_F32", "1"}, {"THREADS", "256"}};
  job.options.include_dirs = {kKernels};
  const auto failures = compile_all({job});
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_NE(failures[0].find("f16 or bf16"), std::string::npos) << failures[0];
}

}  // namespace
}  // namespace kpg
