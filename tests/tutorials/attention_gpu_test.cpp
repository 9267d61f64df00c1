// GPU tests of the flash-attention kernels (kernels_src/attention/flash_mma_sync.cu, stage 2
// in flash_wgmma.cu, stage 3 in flash_wgmma_ws.cu; configs/attention.yaml, spaces mma_sync,
// wgmma and wgmma_ws)
// through the tuner's API, as the tutorial runs it: fresh random inputs, poisoned outputs,
// the float64 reference. Sequence lengths cover one row, lengths that are not multiples of
// any tile, and a long sequence with a ragged last tile.

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <tuple>

#include "tests/gpu_test_env.hpp"
#include "tests/tutorials/space_point.hpp"
#include "tests/tuner_gpu_session.hpp"
#include "tuner/config.hpp"
#include "tuner/gpu.hpp"
#include "tuner/space.hpp"
#include "tuner/tuner.hpp"
#include "tuner/tuning_cache.hpp"

namespace kpg {
namespace {

namespace fs = std::filesystem;

// Shared by every test of the process: one GPU session, and one cubin cache so that each
// kernel configuration compiles once.
struct Session {
  testing::TunerSession tuning{KPG_TEST_KERNELS_DIR};
  OpConfig config = load_config(fs::path(KPG_TEST_CONFIGS_DIR) / "attention.yaml", KPG_TEST_KERNELS_DIR);
};

Session* g_session = nullptr;

// Releases the session after the last test: modules and buffers go before the context (Gpu)
// they live in, then the temporary caches' folder.
class SessionCleanup : public ::testing::Environment {
 public:
  void TearDown() override {
    delete g_session;
    g_session = nullptr;
  }
};
[[maybe_unused]] const auto* const g_cleanup = ::testing::AddGlobalTestEnvironment(new SessionCleanup);

// ||o - ref|| / ||ref|| over all of o; infinity on NaN or inf.
double relative_error(const std::vector<double>& out, const std::vector<double>& ref) {
  double diff = 0, norm = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    diff += (out[i] - ref[i]) * (out[i] - ref[i]);
    norm += ref[i] * ref[i];
  }
  if (!std::isfinite(diff)) return std::numeric_limits<double>::infinity();
  return norm > 0 ? std::sqrt(diff / norm) : std::sqrt(diff);
}

// (N, D, causal, dtype)
using Case = std::tuple<int64_t, int64_t, bool, DType>;

class FlashAttentionGpu : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string reason;
    if (g_session || !testing::gpu_available(&reason)) return;
    g_session = new Session;
  }
  void SetUp() override {
    KPG_SKIP_WITHOUT_GPU();
    ASSERT_NE(g_session, nullptr);
  }

  static Shape shape(int64_t b, int64_t h, int64_t n, int64_t d, bool causal, DType dtype) {
    Shape s;
    s.dims = {{"B", b}, {"H", h}, {"N", n}, {"D", d}, {"CAUSAL", causal ? 1 : 0}};
    s.dtype = dtype;
    return s;
  }
  static const OpConfig& config() { return g_session->config; }
  static const Tuner& tuner() { return g_session->tuning.tuner; }
  static const VariantSpec& flash() { return *config().find_variant("flash"); }
  // The default candidate of one space of the flash variant (default_candidate() gives the
  // first space's that the shape admits): "mma_sync" (stage 1), "wgmma" (stage 2, sm_90a) or
  // "wgmma_ws" (stage 3), whose default of three consumers spills at D = 128 causal and is
  // pruned there: then the same point with two. space_point also overrides some of the
  // params (tests/tutorials/space_point.hpp).
  static std::optional<Candidate> space_default(const OpConfig& cfg, const std::string& space, const Shape& s) {
    if (auto c = space_point(cfg, space, s, {})) return c;
    if (space == "wgmma_ws") return space_point(cfg, space, s, {{"NUM_WG", 2}});
    return std::nullopt;
  }
  static std::optional<Candidate> space_point(const OpConfig& cfg, const std::string& space, const Shape& s,
                                              const ParamSet& overrides) {
    return testing::space_point(cfg, *cfg.find_variant("flash"), s, limits(), space, overrides);
  }
  static DeviceLimits limits() { return g_session->tuning.gpu.limits(); }

  // The configuration `pick` chooses at the case's shape (B*H = 4 slices, 2 for the long
  // sequence, whose reference is costly) matches the float64 reference on poisoned outputs,
  // with a relative error of o within 1e-2.
  static void expect_correct(const Case& c, const std::function<std::optional<Candidate>(const Shape&)>& pick) {
    const auto [n, d, causal, dtype] = c;
    expect_correct_at(n > 2048 ? shape(1, 2, n, d, causal, dtype) : shape(2, 2, n, d, causal, dtype), pick);
  }
  static void expect_correct_at(const Shape& s, const std::function<std::optional<Candidate>(const Shape&)>& pick,
                                int runs = 1) {
    const int64_t n = s.dims.at("N"), d = s.dims.at("D");
    Workload workload(config(), s, limits());
    workload.randomize(static_cast<uint64_t>(n * 1000 + d * 10 + s.dims.at("CAUSAL") + s.dims.at("H") * 100003) +
                       (s.dtype == DType::bf16 ? 7 : 0));
    const auto candidate = pick(s);
    ASSERT_TRUE(candidate.has_value()) << s.to_string();
    const auto bound = tuner().bind(config(), flash(), *candidate, workload);
    for (int run = 1; run <= runs; ++run) {
      const CheckReport check = tuner().verify(bound, workload);  // poisons the outputs first
      EXPECT_TRUE(check.ok) << s.to_string() << " " << candidate->id() << " run " << run << ": " << check.describe();
      const double err =
          relative_error(workload.download_outputs().at("o").values, workload.reference().at("o").values);
      EXPECT_LE(err, 1e-2) << s.to_string() << " " << candidate->id() << " run " << run;
    }
  }

  // wgmma needs compute capability 9.0 exactly (sm_90a code runs on no other GPU).
  static bool is_sm90() { return g_session->tuning.gpu.props().arch() == "sm_90"; }
};

class FlashAttentionDefaultGpu : public FlashAttentionGpu, public ::testing::WithParamInterface<Case> {};

// The configuration the tutorial falls back to, on every length class, both head dims, both
// dtypes, causal or not.
TEST_P(FlashAttentionDefaultGpu, DefaultCandidateMatchesFloat64Reference) {
  expect_correct(GetParam(), [](const Shape& s) { return default_candidate(config(), flash(), s, limits()); });
}

// Stage 2 (wgmma space, flash_attn_fwd_wgmma) at its default, on the same cases.
class FlashAttentionWgmmaGpu : public FlashAttentionGpu, public ::testing::WithParamInterface<Case> {};

TEST_P(FlashAttentionWgmmaGpu, DefaultCandidateMatchesFloat64Reference) {
  if (!is_sm90()) GTEST_SKIP() << "wgmma (sm_90a) needs an sm_90 GPU";
  expect_correct(GetParam(), [](const Shape& s) { return space_default(config(), "wgmma", s); });
}

// Stage 3 (wgmma_ws space, flash_attn_fwd_wgmma_ws: producer warpgroup, mbarrier ring,
// setmaxnreg) at its default (persistent), with the ping-pong turns, and with three consumer
// warpgroups one tile a block.
class FlashAttentionWgmmaWsGpu : public FlashAttentionGpu, public ::testing::WithParamInterface<Case> {};

TEST_P(FlashAttentionWgmmaWsGpu, DefaultCandidateMatchesFloat64Reference) {
  if (!is_sm90()) GTEST_SKIP() << "wgmma (sm_90a) needs an sm_90 GPU";
  expect_correct(GetParam(), [](const Shape& s) { return space_default(config(), "wgmma_ws", s); });
}

TEST_P(FlashAttentionWgmmaWsGpu, PingpongMatchesFloat64Reference) {
  if (!is_sm90()) GTEST_SKIP() << "wgmma (sm_90a) needs an sm_90 GPU";
  expect_correct(GetParam(), [](const Shape& s) {
    return space_point(config(), "wgmma_ws", s,
                       testing::plain_copies({{"NUM_WG", 2}, {"PINGPONG", 1}, {"PERSIST", 0}}));
  });
}

TEST_P(FlashAttentionWgmmaWsGpu, ThreeConsumersMatchFloat64Reference) {
  if (!is_sm90()) GTEST_SKIP() << "wgmma (sm_90a) needs an sm_90 GPU";
  expect_correct(GetParam(), [](const Shape& s) {
    return space_point(config(), "wgmma_ws", s,
                       testing::plain_copies({{"NUM_WG", 3}, {"BLOCK_N", 64}, {"STAGES", 3}, {"PERSIST", 0}}));
  });
}

// Stage 3 persistent (PERSIST 1: blocks take work tiles from a counter): grids of fewer
// blocks than work tiles, so blocks take several tiles and reuse both Q buffers (34 or 256
// heads), and a one-tile grid; causal or not, at both head dims, with two and three
// consumers, with the ping-pong turns, with K/V through TMA (KV_TMA; one point not
// persistent), with Q and O through TMA (QO_TMA; one point not persistent) and with the
// next tile's first GEMM under the epilogue (EPI_OVERLAP); a flag a point does not name is
// off. Each case runs twice on the same buffers: the second launch finds the counter as the
// first left it (it must be zero again).
TEST_F(FlashAttentionGpu, WgmmaWsPersistentMatchesFloat64Reference) {
  if (!is_sm90()) GTEST_SKIP() << "wgmma (sm_90a) needs an sm_90 GPU";
  const std::vector<ParamSet> points = {{{"PERSIST", 1}, {"NUM_WG", 2}, {"BLOCK_N", 128}},
                                        {{"PERSIST", 1}, {"NUM_WG", 2}, {"BLOCK_N", 128}, {"PINGPONG", 1}},
                                        {{"PERSIST", 1}, {"NUM_WG", 3}, {"BLOCK_N", 64}, {"STAGES", 3}},
                                        {{"PERSIST", 1}, {"NUM_WG", 2}, {"BLOCK_N", 96}, {"KV_TMA", 1}, {"STAGES", 3}},
                                        {{"PERSIST", 1}, {"NUM_WG", 3}, {"BLOCK_N", 64}, {"KV_TMA", 1}},
                                        {{"PERSIST", 1}, {"NUM_WG", 2}, {"BLOCK_N", 128}, {"PINGPONG", 1}, {"KV_TMA", 1}},
                                        {{"PERSIST", 0}, {"NUM_WG", 2}, {"BLOCK_N", 64}, {"KV_TMA", 1}},
                                        {{"PERSIST", 1}, {"NUM_WG", 3}, {"BLOCK_N", 64}, {"EPI_OVERLAP", 1}},
                                        {{"PERSIST", 1}, {"NUM_WG", 2}, {"BLOCK_N", 128}, {"PINGPONG", 1}, {"KV_TMA", 1},
                                         {"EPI_OVERLAP", 1}},
                                        {{"PERSIST", 1}, {"NUM_WG", 3}, {"BLOCK_N", 64}, {"KV_TMA", 1}, {"QO_TMA", 1},
                                         {"EPI_OVERLAP", 1}},
                                        {{"PERSIST", 1}, {"NUM_WG", 2}, {"BLOCK_N", 64}, {"QO_TMA", 1}, {"STAGES", 3}},
                                        {{"PERSIST", 0}, {"NUM_WG", 3}, {"BLOCK_N", 64}, {"QO_TMA", 1}}};
  for (const int64_t d : {64, 128})
    for (const bool causal : {false, true}) {
      const DType dtype = d == 64 ? DType::f16 : DType::bf16;
      for (const Shape& s : {shape(2, 17, 1000, d, causal, dtype), shape(4, 64, 127, d, causal, dtype),
                             shape(1, 1, 17, d, causal, dtype)})
        for (const ParamSet& point : points)
          expect_correct_at(
              s, [&](const Shape& at) { return space_point(config(), "wgmma_ws", at, testing::plain_copies(point)); },
              2);
    }
}

// Stage 3 persistent, causal, longest tiles first over sections of heads (LPT_MB): at 8 MiB
// the 34 heads of N = 1000 fall in sections of 16 (D = 128) or 32 (D = 64) heads and a short
// last one, the 256 heads of N = 127 at D = 128 in sections of 129 and 127; at 32 MiB every
// head of these shapes is in one section. Two launches on the same buffers each.
TEST_F(FlashAttentionGpu, WgmmaWsLongestFirstMatchesFloat64Reference) {
  if (!is_sm90()) GTEST_SKIP() << "wgmma (sm_90a) needs an sm_90 GPU";
  const std::vector<ParamSet> points = {{{"NUM_WG", 2}, {"BLOCK_N", 128}, {"LPT_MB", 8}},
                                        {{"NUM_WG", 3}, {"BLOCK_N", 64}, {"LPT_MB", 32}},
                                        {{"NUM_WG", 2}, {"BLOCK_N", 128}, {"KV_TMA", 1}, {"QO_TMA", 1},
                                         {"EPI_OVERLAP", 1}, {"LPT_MB", 8}}};
  for (const int64_t d : {64, 128}) {
    const DType dtype = d == 64 ? DType::f16 : DType::bf16;
    for (const Shape& s : {shape(2, 17, 1000, d, true, dtype), shape(4, 64, 127, d, true, dtype)})
      for (const ParamSet& point : points)
        expect_correct_at(
            s, [&](const Shape& at) { return space_point(config(), "wgmma_ws", at, testing::plain_copies(point)); }, 2);
  }
}

// Stage 3 with PV_LAG (tile j's Q K^T issued with tile j - 1's P V, its softmax under that
// P V): with the ping-pong turns and without, two and three consumers, one tile a block and
// persistent with every copy through TMA and the epilogue overlap, and FlashAttention-3's
// 128 x 176 tile at D = 128; at BLOCK_N 64 under the causal mask the first of two consumers
// skips a tile of every work tile (its empty turn).
// Odd lengths, both head dims, causal or not; two launches on the same buffers each.
TEST_F(FlashAttentionGpu, WgmmaWsPvLagMatchesFloat64Reference) {
  if (!is_sm90()) GTEST_SKIP() << "wgmma (sm_90a) needs an sm_90 GPU";
  const std::vector<ParamSet> points = {
      {{"NUM_WG", 2}, {"BLOCK_N", 64}, {"PINGPONG", 1}, {"PV_LAG", 1}, {"PERSIST", 0}},
      {{"NUM_WG", 2}, {"BLOCK_N", 128}, {"PV_LAG", 1}, {"STAGES", 3}, {"PERSIST", 0}},
      {{"NUM_WG", 3}, {"BLOCK_N", 64}, {"PV_LAG", 1}, {"PERSIST", 1}},
      {{"NUM_WG", 2}, {"BLOCK_N", 128}, {"PINGPONG", 1}, {"PV_LAG", 1}, {"PERSIST", 1}, {"KV_TMA", 1}, {"QO_TMA", 1},
       {"EPI_OVERLAP", 1}},
      {{"NUM_WG", 2}, {"BLOCK_N", 64}, {"PINGPONG", 1}, {"PV_LAG", 1}, {"PERSIST", 1}, {"KV_TMA", 1},
       {"EPI_OVERLAP", 1}, {"LPT_MB", 8}},
      {{"NUM_WG", 2}, {"BLOCK_N", 176}, {"PINGPONG", 1}, {"PV_LAG", 1}, {"PERSIST", 0}, {"KV_TMA", 1}, {"QO_TMA", 1}}};
  for (const int64_t d : {64, 128})
    for (const bool causal : {false, true}) {
      const DType dtype = d == 64 ? DType::bf16 : DType::f16;
      for (const Shape& s : {shape(2, 17, 1000, d, causal, dtype), shape(1, 3, 127, d, causal, dtype),
                             shape(1, 1, 17, d, causal, dtype)})
        for (const ParamSet& point : points) {
          if (!causal && point.count("LPT_MB")) continue;  // the constraint keeps LPT_MB to causal rows
          expect_correct_at(
              s, [&](const Shape& at) { return space_point(config(), "wgmma_ws", at, testing::plain_copies(point)); },
              2);
        }
    }
}

// Stage 3 in clusters of two blocks sharing each K/V tile (CLUSTER 2, TMA multicast; non-causal
// only): one tile a block and persistent (clusters taking fixed turns of pairs of tiles), two
// and three consumers, with the turns, PV_LAG, every copy through TMA and the epilogue
// overlap, and at BLOCK_N 176 (each block loads 88 rows of a tile). Query tiles a head: 8 or
// 6 (N = 1000), 3 (N = 300: the cluster of the last pair has one block past N) and 1 (N = 127
// over 256 heads, so persistent clusters take several pairs; N = 17). Two launches on the
// same buffers each.
TEST_F(FlashAttentionGpu, WgmmaWsClusterMatchesFloat64Reference) {
  if (!is_sm90()) GTEST_SKIP() << "wgmma (sm_90a) needs an sm_90 GPU";
  const std::vector<ParamSet> points = {
      {{"CLUSTER", 2}, {"KV_TMA", 1}, {"NUM_WG", 2}, {"BLOCK_N", 128}, {"PERSIST", 1}},
      {{"CLUSTER", 2}, {"KV_TMA", 1}, {"NUM_WG", 3}, {"BLOCK_N", 64}, {"STAGES", 3}, {"PERSIST", 1}},
      {{"CLUSTER", 2}, {"KV_TMA", 1}, {"NUM_WG", 2}, {"BLOCK_N", 192}, {"PERSIST", 0}},
      {{"CLUSTER", 2}, {"KV_TMA", 1}, {"NUM_WG", 2}, {"BLOCK_N", 96}, {"PINGPONG", 1}, {"PV_LAG", 1}, {"PERSIST", 1},
       {"QO_TMA", 1}, {"EPI_OVERLAP", 1}},
      {{"CLUSTER", 2}, {"KV_TMA", 1}, {"NUM_WG", 2}, {"BLOCK_N", 176}, {"PINGPONG", 1}, {"PV_LAG", 1}, {"PERSIST", 0}}};
  for (const int64_t d : {64, 128}) {
    const DType dtype = d == 64 ? DType::bf16 : DType::f16;
    for (const Shape& s : {shape(2, 17, 1000, d, false, dtype), shape(1, 3, 300, d, false, dtype),
                           shape(4, 64, 127, d, false, dtype), shape(1, 1, 17, d, false, dtype)})
      for (const ParamSet& point : points)
        expect_correct_at(
            s, [&](const Shape& at) { return space_point(config(), "wgmma_ws", at, testing::plain_copies(point)); }, 2);
  }
}

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  const auto [n, d, causal, dtype] = info.param;
  return "N" + std::to_string(n) + "_D" + std::to_string(d) + (causal ? "_causal_" : "_full_") +
         std::string(dtype_name(dtype));
}

// One row, lengths no tile divides, a long sequence with a ragged last tile; both head dims,
// causal or not, both dtypes.
const auto kCases = ::testing::Combine(::testing::Values<int64_t>(1, 17, 64, 127, 1000, 4097),
                                       ::testing::Values<int64_t>(64, 128), ::testing::Bool(),
                                       ::testing::Values(DType::f16, DType::bf16));
INSTANTIATE_TEST_SUITE_P(Lengths, FlashAttentionDefaultGpu, kCases, case_name);
INSTANTIATE_TEST_SUITE_P(Lengths, FlashAttentionWgmmaGpu, kCases, case_name);
INSTANTIATE_TEST_SUITE_P(Lengths, FlashAttentionWgmmaWsGpu, kCases, case_name);

// Every candidate the grid keeps, through the tuner itself (force: each one verified against
// the reference on poisoned outputs, then timed briefly): none may be wrong, fail to compile
// or be rejected for resources the config should have pruned.
TEST_F(FlashAttentionGpu, EveryCandidateOfTheGridIsCorrect) {
  OpConfig quick = config();
  quick.timing = TimingSettings{1, 2, 2, 5, 0};  // correctness is the point, not the times
  for (const Shape& s : {shape(1, 2, 127, 64, true, DType::f16), shape(2, 1, 200, 128, false, DType::bf16)}) {
    Workload workload(quick, s, limits());
    workload.randomize(42);
    TuneOptions options;
    options.force = true;
    options.progress = false;
    const TuneResult r = tuner().tune(quick, *quick.find_variant("flash"), workload, options);
    EXPECT_GT(r.candidates, 10u) << s.to_string();
    EXPECT_EQ(r.records.size(), r.candidates) << s.to_string();
    EXPECT_EQ(r.failed, 0u) << s.to_string();
    for (const auto& rec : r.records) EXPECT_TRUE(rec.ok) << s.to_string() << " " << rec.candidate_id << ": " << rec.failure;
  }
}

// Scores of -inf everywhere (k = -inf, q > 0): every row is fully masked, and the FlashAttention
// convention (the builtin reference's) is o = 0 and lse = -inf, never NaN.
TEST_F(FlashAttentionGpu, FullyMaskedRowsGiveZerosNotNaN) {
  OpConfig masked = config();
  for (auto& b : masked.buffers) {
    if (b.name == "q") b.init = InitSpec{InitSpec::uniform, 0.5, 1.5};
    if (b.name == "k") b.init = InitSpec{InitSpec::constant, -std::numeric_limits<double>::infinity(), 0};
  }
  for (const Shape& s : {shape(1, 2, 1, 64, false, DType::f16), shape(1, 2, 100, 64, true, DType::f16),
                         shape(1, 2, 100, 128, false, DType::bf16), shape(2, 1, 300, 128, true, DType::bf16)}) {
    for (const std::string space : {"mma_sync", "wgmma", "wgmma_ws"}) {
      if (space != "mma_sync" && !is_sm90()) continue;
      Workload workload(masked, s, limits());
      workload.randomize(3);
      const auto candidate = space_default(masked, space, s);
      ASSERT_TRUE(candidate.has_value()) << space;
      const auto bound = tuner().bind(masked, *masked.find_variant("flash"), *candidate, workload);
      const CheckReport check = tuner().verify(bound, workload);
      EXPECT_TRUE(check.ok) << s.to_string() << " " << candidate->id() << ": " << check.describe();
      const auto out = workload.download_outputs();
      int64_t nonzero = 0, finite_lse = 0;
      for (double v : out.at("o").values) nonzero += v != 0.0 ? 1 : 0;  // NaN counts as nonzero
      for (double v : out.at("lse").values) finite_lse += v == -std::numeric_limits<double>::infinity() ? 0 : 1;
      EXPECT_EQ(nonzero, 0) << s.to_string() << " " << candidate->id();
      EXPECT_EQ(finite_lse, 0) << s.to_string() << " " << candidate->id();
    }
  }
}

}  // namespace
}  // namespace kpg
