// The tensor-map example (configs/examples/tma_copy.yaml + kernels_src/examples/tma_copy.cu).
// Without a GPU: the config loads, its grid is pruned by the tensor-map rules with their
// reasons, every candidate compiles for sm_90a without spills and takes its maps in
// 128-byte parameters, and a kernel that takes one otherwise is reported at the YAML line.
// On the GPU: every candidate against the float64 reference at shapes that are not multiples
// of the box (poisoned outputs), a plan rebound to another buffer pair, and TMA's own edge
// behaviour (zero fill on load, clipping on store) seen through a probe kernel.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <optional>
#include <random>

#include "runtime/buffer.hpp"
#include "runtime/cubin_cache.hpp"
#include "runtime/cubin_elf.hpp"
#include "runtime/driver.hpp"
#include "runtime/error.hpp"
#include "runtime/tensor_map.hpp"
#include "tests/gpu_test_env.hpp"
#include "tests/tuner_gpu_session.hpp"
#include "tuner/compile_all.hpp"
#include "tuner/compile_pool.hpp"
#include "tuner/gpu.hpp"
#include "tuner/gpu_measure.hpp"
#include "tuner/launch_plan.hpp"
#include "tuner/space.hpp"
#include "tuner_test_support.hpp"

namespace fs = std::filesystem;

namespace kpg {
namespace {

OpConfig load_example() {
  return load_config(fs::path(KPG_TEST_CONFIGS_DIR) / "examples" / "tma_copy.yaml", KPG_TEST_KERNELS_DIR);
}

Shape shape(int64_t m, int64_t n, DType t) { return Shape{{{"M", m}, {"N", n}}, t}; }

// Candidates the tensor-map rules keep: a swizzled box row (BLOCK_N elements) fits the span.
size_t expected_candidates(const SpaceSpec& space, DType t) {
  size_t kept = 0;
  for (int64_t bm : space.params.at(0).second)
    for (int64_t bn : space.params.at(1).second)
      for (int64_t sw : space.params.at(2).second) {
        const int64_t row = bn * static_cast<int64_t>(dtype_bytes(t));
        kept += bm <= 256 && row % 16 == 0 && (sw == 0 || row == sw) ? 1 : 0;
      }
  return kept;
}

TEST(TmaCopyExampleTest, ConfigTilesBothBuffersWithTheCandidatesBox) {
  const OpConfig config = load_example();
  EXPECT_EQ(config.op, "tma_copy");
  EXPECT_EQ(config.reference.builtin, "scale");
  ASSERT_EQ(config.variants.size(), 1u);
  const SpaceSpec& space = config.variants[0].spaces.at(0);
  EXPECT_EQ(space.arch, "sm_90a");
  const auto& args = space.launches.at(0).args;
  ASSERT_EQ(args.size(), 3u);
  EXPECT_EQ(args[0].kind, ArgSpec::tensor_map);
  EXPECT_EQ(args[0].name, "x");
  EXPECT_EQ(args[1].kind, ArgSpec::tensor_map);
  EXPECT_EQ(args[1].name, "y");
  EXPECT_EQ(args[2].kind, ArgSpec::scalar_name);
  ASSERT_EQ(space.params.size(), 3u);
  EXPECT_EQ(space.params[2].first, "SWIZZLE");
  // Every default shape leaves every box a remainder along N.
  for (const auto& s : config.shapes)
    for (int64_t block_n : space.params[1].second) EXPECT_NE(s.dims.at("N") % block_n, 0) << s.to_string();
}

TEST(TmaCopyExampleTest, SwizzleSpansPruneTheGridWithTheirReason) {
  const OpConfig config = load_example();
  const VariantSpec& variant = config.variants.at(0);
  for (DType t : {DType::f32, DType::f16, DType::bf16}) {
    PruneReport report;
    const auto candidates = enumerate(config, variant, shape(1000, 776, t), h100_limits(), &report);
    EXPECT_EQ(candidates.size(), expected_candidates(variant.spaces.at(0), t)) << dtype_name(t);
    ASSERT_FALSE(report.by_reason.empty()) << dtype_name(t);
    for (const auto& [reason, count] : report.by_reason)
      EXPECT_EQ(reason.rfind("launch tma_copy: tensor map of x: innermost box row not as wide as its ", 0), 0u) << reason;
  }
  // Rows that do not span a multiple of 16 bytes leave nothing to tune, and say why.
  PruneReport report;
  EXPECT_TRUE(enumerate(config, variant, shape(1000, 777, DType::f32), h100_limits(), &report).empty());
  EXPECT_NE(describe_pruning(report).find("stride of dim 0 is 3108 bytes, not a multiple of 16"), std::string::npos)
      << describe_pruning(report);
}

TEST(TmaCopyExampleTest, EveryCandidateCompilesForSm90aAndTakesItsMapsIn128Bytes) {
  const test::TempDir cache_dir;
  CubinCache cache(cache_dir.path());
  const Compiler compiler(&cache);
  const OpConfig config = load_example();
  CompileAllOptions options;
  options.arch = "sm_90";  // the space's own sm_90a wins
  options.limits = h100_limits();
  options.kernels_dir = KPG_TEST_KERNELS_DIR;
  options.jobs = 2;
  const OpCompileReport r = compile_op(config, compiler, options);
  ASSERT_TRUE(r.config_error.empty()) << r.config_error;
  for (const auto& f : r.failures) ADD_FAILURE() << f.candidate << " at " << f.shape << ": " << f.first_error_line;
  size_t expected = 0;
  for (const auto& s : config.shapes) expected += expected_candidates(config.variants[0].spaces[0], s.dtype);
  EXPECT_EQ(r.candidates, expected);
  for (const auto& s : r.spills) ADD_FAILURE() << s.candidate << " " << s.kernel.kernel << " spills or uses stack";

  const Shape& s = config.shapes.front();
  const auto c = default_candidate(config, config.variants[0], s, options.limits);
  ASSERT_TRUE(c.has_value());
  const CompiledKernel k = compiler.compile_file(config.source, candidate_compile_options(config, *c, s, options.limits,
                                                                                          options.arch, KPG_TEST_KERNELS_DIR));
  EXPECT_EQ(cubin_parameter_sizes(k.image).at("tma_copy"), (std::vector<size_t>{128, 128, 4}));
}

// The example's YAML in `dir`, beside a copy of its kernel that takes y as a pointer.
OpConfig load_example_with_y_as_pointer(const test::TempDir& dir) {
  std::string kernel = testing::read_text(fs::path(KPG_TEST_KERNELS_DIR) / "examples" / "tma_copy.cu");
  kernel = test::replaced(kernel, "const __grid_constant__ CUtensorMap y_map", "const float* y_ptr");
  kernel = test::replaced(kernel, "tma_store_2d(&y_map, x, y, tile);", "(void)y_ptr;");
  test::write_file(dir.path() / "kernels" / "examples" / "tma_copy.cu", kernel);
  const std::string yaml = testing::read_text(fs::path(KPG_TEST_CONFIGS_DIR) / "examples" / "tma_copy.yaml");
  return load_config(test::write_file(dir.path() / "tma_copy.yaml", yaml), dir.path() / "kernels");
}

// The kernel takes y as a pointer while the YAML passes a tensor map: found without a GPU,
// at the argument's line in the YAML.
TEST(TmaCopyExampleTest, AMapPassedToAParameterOfAnotherSizeIsAFailureAtItsLine) {
  const test::TempDir dir;
  const OpConfig config = load_example_with_y_as_pointer(dir);
  const fs::path& file = config.file;
  const std::string yaml = testing::read_text(file);

  CompileAllOptions options;
  options.limits = h100_limits();
  options.kernels_dir = KPG_TEST_KERNELS_DIR;  // the shared headers
  options.jobs = 2;
  options.max_unique_compiles = 1;
  const OpCompileReport r = compile_op(config, Compiler(nullptr), options);
  ASSERT_EQ(r.failures.size(), 1u);
  const std::string& why = r.failures[0].first_error_line;
  const auto at = test::position_of(yaml, "{tensor_map: y");
  EXPECT_EQ(why.rfind(file.string() + ":" + std::to_string(at.line) + ":" + std::to_string(at.column) + ":", 0), 0u)
      << why;
  EXPECT_NE(why.find("argument 1 of kernel 'tma_copy' is a tensor map (128 bytes)"), std::string::npos) << why;
  EXPECT_NE(why.find("that parameter is 8 bytes"), std::string::npos) << why;
}

// ------------------------------------------------------------------------------- GPU

class TmaCopyExampleGpu : public ::testing::Test {
 protected:
  void SetUp() override {
    KPG_SKIP_WITHOUT_GPU();
    session_.emplace(KPG_TEST_KERNELS_DIR);
    if (session_->gpu.props().cc_major * 10 + session_->gpu.props().cc_minor != 90)
      GTEST_SKIP() << "the example is built for sm_90a: " << session_->gpu.props().name;
    config_ = load_example();
  }
  DeviceLimits limits() const { return session_->gpu.limits(); }

  std::optional<testing::TunerSession> session_;
  OpConfig config_;
};

TEST_F(TmaCopyExampleGpu, EveryCandidateMatchesTheReferenceAtShapesThatAreNotMultiplesOfTheBox) {
  std::mt19937_64 seeds(std::random_device{}());
  for (DType t : config_.dtypes)
    for (const auto& [m, n] : std::vector<std::pair<int64_t, int64_t>>{{1000, 776}, {1, 8}, {257, 1000}, {33, 4104}}) {
      Workload w(config_, shape(m, n, t), limits());
      w.randomize(seeds());
      const size_t expected = expected_candidates(config_.variants[0].spaces[0], t);
      EXPECT_EQ(testing::check_every_candidate(*session_, config_, w), static_cast<int>(expected))
          << "every candidate ran at " << w.shape().to_string();
    }
}

// One plan, bound to pair a, then rebound to pair b: the maps are encoded again with b's
// addresses, so b gets the result and a's output stays poisoned.
TEST_F(TmaCopyExampleGpu, ARebindToAnotherBufferPairWritesTheNewPair) {
  const Shape s = shape(1000, 776, DType::f16);
  Workload a(config_, s, limits()), b(config_, s, limits());
  a.randomize(1);
  b.randomize(2);
  const VariantSpec& variant = config_.variants.at(0);
  const auto c = default_candidate(config_, variant, s, limits());
  ASSERT_TRUE(c.has_value());
  const BoundCandidate bound = session_->tuner.bind(config_, variant, *c, a);
  EXPECT_NE(bound.plan->describe().find("(tmap(x,[64,64]),tmap(y,[64,64]))"), std::string::npos)
      << bound.plan->describe();
  const CheckReport first = session_->tuner.verify(bound, a);
  EXPECT_TRUE(first.ok) << first.describe();

  bound.plan->rebind(workload_binding(b));
  a.poison_outputs(session_->gpu.stream());
  const CheckReport second = session_->tuner.verify(bound, b);
  EXPECT_TRUE(second.ok) << second.describe();
  const auto untouched = a.download_outputs().at("y").values;
  EXPECT_TRUE(std::all_of(untouched.begin(), untouched.end(), [](double v) { return std::isnan(v); }))
      << "the plan still wrote to the first pair";
}

// TMA's edges, seen directly: a probe kernel loads one 8 x 8 box at (x, y) into shared
// memory and copies it out as it landed, then (if asked) stores a box of 7s at the same
// place. The hardware's rules the cases keep to: the innermost coordinate is a multiple of
// 16 bytes (4 f32) and a store starts at no negative coordinate (either faults); a load may
// start before the tensor.
class TmaEdgeGpu : public testing::GpuTest {
 protected:
  static constexpr const char* kProbe = R"(
#include "mbarrier_bulk.cuh"
#include "tma.cuh"
extern "C" __global__ void probe(const __grid_constant__ CUtensorMap src, const __grid_constant__ CUtensorMap dst,
                                 float* landed, int x, int y, int store) {
  __shared__ __align__(128) float tile[64];
  __shared__ __align__(8) unsigned long long bar;
  const unsigned b = static_cast<unsigned>(__cvta_generic_to_shared(&bar));
  const unsigned t = static_cast<unsigned>(__cvta_generic_to_shared(tile));
  if (threadIdx.x == 0) {
    mbar_init(b, 1);
    mbar_fence_init();
  }
  __syncthreads();
  if (threadIdx.x == 0) {
    mbar_arrive_expect_tx(b, sizeof(tile));
    tma_load_2d(t, &src, x, y, b);
  }
  mbar_wait(b, 0);
  landed[threadIdx.x] = tile[threadIdx.x];
  tile[threadIdx.x] = 7.0f;
  fence_proxy_async_shared();
  __syncthreads();
  if (threadIdx.x == 0 && store) {
    tma_store_2d(&dst, x, y, t);
    tma_store_commit();
    tma_store_wait_read();
  }
}
)";
  static constexpr int kRows = 10, kCols = 12, kGuard = 64;  // a 10 x 12 f32 tensor

  void SetUp() override {
    GpuTest::SetUp();
    if (IsSkipped()) return;
    if (device().props().cc_major < 9) GTEST_SKIP() << "TMA needs sm_90";
    CompileOptions o;
    o.arch = device().props().arch();
    o.include_dirs = {KPG_TEST_KERNELS_DIR};
    module_ = Module::load(Compiler().compile_source(kProbe, "tma_probe.cu", o).image);
  }

  // Runs the probe at (x, y): what the box loaded, and the destination afterwards (the
  // tensor, then a guard region past its end, all -1 before).
  std::pair<std::vector<float>, std::vector<float>> run(int x, int y, bool store) {
    std::vector<float> values(kRows * kCols);
    for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(i + 1);
    DeviceBuffer src(values.size() * sizeof(float)), dst((values.size() + kGuard) * sizeof(float)),
        landed(64 * sizeof(float));
    src.upload(values.data(), src.bytes());
    const std::vector<float> minus_one(values.size() + kGuard, -1.0f);
    dst.upload(minus_one.data(), dst.bytes());
    TensorMapLayout layout;
    layout.dims = {kRows, kCols};
    layout.box = {8, 8};
    CUtensorMap src_map{}, dst_map{};
    encode_tensor_map(layout, src.ptr(), src_map);
    encode_tensor_map(layout, dst.ptr(), dst_map);
    LaunchConfig cfg;
    cfg.block = {64, 1, 1};
    module_.function("probe").launch(cfg, src_map, dst_map, landed.ptr(), x, y, store ? 1 : 0);
    KPG_CU_CHECK(driver().cuCtxSynchronize());
    std::vector<float> box(64), out(values.size() + kGuard);
    landed.download(box.data(), landed.bytes());
    dst.download(out.data(), dst.bytes());
    return {box, out};
  }

  Module module_;
};

TEST_F(TmaEdgeGpu, ALoadZeroFillsPastEveryEdgeAndAStoreClipsPastTheFarOnes) {
  struct Case {
    int x, y;
    bool store;
  };
  // Past the right and bottom edges, inside, the last row only; loads past the left and top.
  const std::vector<Case> cases{{8, 4, true}, {0, 0, true}, {8, 9, true}, {-4, -2, false}, {8, -2, false}};
  for (const auto& [x, y, store] : cases) {
    const auto [box, out] = run(x, y, store);
    for (int r = 0; r < 8; ++r)
      for (int c = 0; c < 8; ++c) {
        const int gr = y + r, gc = x + c;
        const bool inside = gr >= 0 && gr < kRows && gc >= 0 && gc < kCols;
        EXPECT_EQ(box[r * 8 + c], inside ? static_cast<float>(gr * kCols + gc + 1) : 0.0f)
            << "load at (" << x << "," << y << "), box element (" << r << "," << c << ")";
      }
    for (int i = 0; i < kRows * kCols + kGuard; ++i) {
      const int gr = i / kCols, gc = i % kCols;
      const bool stored = store && i < kRows * kCols && gr >= y && gr < y + 8 && gc >= x && gc < x + 8;
      EXPECT_EQ(out[i], stored ? 7.0f : -1.0f) << "store at (" << x << "," << y << "), element " << i;
    }
  }
}

// A kernel that takes a pointer where the YAML passes a map: the plan refuses to launch it
// (when the driver reports parameter sizes).
TEST_F(TmaCopyExampleGpu, APlanRefusesAMapForAParameterOfAnotherSize) {
  const test::TempDir dir;
  const OpConfig config = load_example_with_y_as_pointer(dir);
  const Shape s = shape(64, 64, DType::f32);
  const auto c = default_candidate(config, config.variants[0], s, limits());
  ASSERT_TRUE(c.has_value());
  CompileOptions o = candidate_compile_options(config, *c, s, limits(), "sm_90a", KPG_TEST_KERNELS_DIR);
  const Module module = Module::load(Compiler(nullptr).compile_file(config.source, o).image);
  if (module.function("tma_copy").parameter_sizes().empty()) GTEST_SKIP() << "the driver does not report parameter sizes";
  Workload w(config, s, limits());
  try {
    LaunchPlan plan(config.variants[0].spaces[0], *c, w, limits(), module);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("argument 1 is a tensor map (128 bytes) but the kernel's parameter is 8 bytes"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace kpg
