// Tensor-map launch arguments without a GPU: the `{tensor_map: BUFFER, box, swizzle, view}`
// schema (good input and each bad one, as a ConfigError at its line, column and key), the
// driver's rules checked per shape and candidate (each rule prunes with its reason), the
// layout a map describes, and its part in the tuning key.

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

#include "runtime/tensor_map.hpp"
#include "tests/tuner/tuner_test_support.hpp"
#include "tuner/config_json.hpp"
#include "tuner/space.hpp"
#include "tuner/tensor_map_arg.hpp"
#include "tuner/tuning_key.hpp"

namespace kpg {
namespace {

using test::position_of;
using test::replaced;

// x [M, N] tiled by [BM, BN] with swizzle SW; q [B, M, N] tiled through its view [B*M, N];
// idx (always i32) tiled with swizzle none. One candidate: BM 64, BN 32, SW 128, which every
// rule admits for f32 at M = 100, N = 40 (rows of 160 bytes); f16 fills the span at BN 64.
const std::string kTilesYaml = R"(op: tiles
source: tiles.cu
dims: [B, M, N]
dtypes: [f32, f16]
buffers:
  x: {dtype: T, shape: [M, N]}
  q: {dtype: T, shape: [B, M, N]}
  idx: {dtype: i32, shape: [M, N]}
  y: {dtype: T, shape: [M, N], output: true}
scalars: {alpha: 2.0}
reference: {builtin: scale}
variants:
  tiled:
    params:
      BM: [64]
      BN: [32]
      SW: [128]
    launches:
      - kernel: k
        args:
          - {tensor_map: x, box: [BM, BN], swizzle: SW}
          - {tensor_map: q, view: [{mul: [B, M]}, N], box: [16, 8]}
          - {tensor_map: idx, box: [1, 4], swizzle: none}
          - y
          - alpha
          - M
        block: [128]
        grid: [1]
)";

OpConfig load_tiles(const test::TempDir& dir, const std::string& yaml) {
  test::write_file(dir.path() / "kernels" / "tiles.cu", "extern \"C\" __global__ void k() {}\n");
  return load_config(test::write_file(dir.path() / "tiles.yaml", yaml), dir.path() / "kernels");
}

Shape tiles_shape(int64_t m, int64_t n, DType t = DType::f32) { return Shape{{{"B", 2}, {"M", m}, {"N", n}}, t}; }

const LaunchSpec& only_launch(const OpConfig& c) { return c.variants.at(0).spaces.at(0).launches.at(0); }

TEST(TensorMapConfig, LoadsEachFormWithWhatItNeedsOfItsBuffer) {
  const test::TempDir dir;
  const OpConfig c = load_tiles(dir, kTilesYaml);
  const auto& args = only_launch(c).args;
  ASSERT_EQ(args.size(), 6u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(args[i].kind, ArgSpec::tensor_map) << i;
    EXPECT_TRUE(args[i].names_buffer()) << i;
    ASSERT_TRUE(args[i].tensor_map_spec.has_value()) << i;
  }
  EXPECT_EQ(args[3].kind, ArgSpec::buffer);
  EXPECT_TRUE(args[3].names_buffer());
  EXPECT_FALSE(args[4].names_buffer());  // a scalar
  EXPECT_FALSE(args[3].tensor_map_spec.has_value());

  const TensorMapSpec& x = *args[0].tensor_map_spec;
  EXPECT_EQ(args[0].name, "x");
  EXPECT_EQ(x.dtype, "T");
  ASSERT_EQ(x.buffer_shape.size(), 2u);
  EXPECT_EQ(x.buffer_shape[1].to_string(), "N");
  EXPECT_TRUE(x.view.empty());
  ASSERT_EQ(x.box.size(), 2u);
  EXPECT_EQ(x.box[0].to_string(), "BM");
  EXPECT_EQ(x.swizzle.to_string(), "SW");

  const TensorMapSpec& q = *args[1].tensor_map_spec;
  EXPECT_EQ(q.buffer_shape.size(), 3u);
  ASSERT_EQ(q.view.size(), 2u);
  EXPECT_EQ(q.view[0].to_string(), "{mul: [B, M]}");
  EXPECT_EQ(q.swizzle.to_string(), "0");  // no swizzle given

  EXPECT_EQ(args[2].tensor_map_spec->dtype, "i32");
  EXPECT_EQ(args[2].tensor_map_spec->swizzle.to_string(), "0");  // `none`
}

TEST(TensorMapConfig, LayoutFollowsTheShapeTheCandidateAndTheBuffersType) {
  const test::TempDir dir;
  const OpConfig c = load_tiles(dir, kTilesYaml);
  const auto& args = only_launch(c).args;
  const Shape f16 = tiles_shape(100, 40, DType::f16);
  const Scope scope = make_scope(f16, {{"BM", 64}, {"BN", 32}, {"SW", 128}}, DeviceLimits{});

  const TensorMapLayout x = tensor_map_layout(args[0], f16, scope);
  EXPECT_EQ(x.data_type, CU_TENSOR_MAP_DATA_TYPE_FLOAT16);  // T at an f16 shape
  EXPECT_EQ(x.element_bytes, 2);
  EXPECT_EQ(x.dims, (std::vector<int64_t>{100, 40}));
  EXPECT_EQ(x.box, (std::vector<int64_t>{64, 32}));
  EXPECT_EQ(x.swizzle_bytes, 128);
  EXPECT_EQ(x.strides_bytes(), (std::vector<int64_t>{80}));
  EXPECT_EQ(describe_tensor_map("x", x), "tmap(x,[64,32],sw128)");

  const TensorMapLayout q = tensor_map_layout(args[1], f16, scope);
  EXPECT_EQ(q.dims, (std::vector<int64_t>{200, 40}));  // the view [B*M, N]
  EXPECT_EQ(describe_tensor_map("q", q), "tmap(q,[16,8])");

  const TensorMapLayout idx = tensor_map_layout(args[2], f16, scope);
  EXPECT_EQ(idx.data_type, CU_TENSOR_MAP_DATA_TYPE_INT32);  // its own dtype, whatever the shape's
  EXPECT_EQ(idx.element_bytes, 4);

  const Shape f32 = tiles_shape(100, 40);
  const TensorMapLayout x32 = tensor_map_layout(args[0], f32, make_scope(f32, {{"BM", 64}, {"BN", 32}, {"SW", 128}}, {}));
  EXPECT_EQ(x32.data_type, CU_TENSOR_MAP_DATA_TYPE_FLOAT32);
  EXPECT_EQ(x32.strides_bytes(), (std::vector<int64_t>{160}));
}

// ----------------------------------------------------------------------------- bad input

struct TensorMapErrorCase {
  const char* name;
  std::string from, to;  // the edit applied to kTilesYaml
  std::string at;        // where the error must point: this text in the edited YAML
  std::string key;       // expected key path
  std::string message;   // a part of the message
};

void PrintTo(const TensorMapErrorCase& c, std::ostream* os) { *os << c.name; }

class TensorMapConfigErrors : public ::testing::TestWithParam<TensorMapErrorCase> {};

TEST_P(TensorMapConfigErrors, NamesFileLineColumnKeyAndWhatWasExpected) {
  const TensorMapErrorCase& c = GetParam();
  const std::string yaml = replaced(kTilesYaml, c.from, c.to);
  const test::TempDir dir;
  try {
    load_tiles(dir, yaml);
    FAIL() << "no error for " << c.name;
  } catch (const ConfigError& e) {
    const auto expected = position_of(yaml, c.at);
    EXPECT_EQ(e.loc.file, (dir.path() / "tiles.yaml").string());
    EXPECT_EQ(e.loc.line, expected.line) << e.what();
    EXPECT_EQ(e.loc.column, expected.column) << e.what();
    EXPECT_EQ(e.loc.key, c.key) << e.what();
    EXPECT_NE(e.message().find(c.message), std::string::npos) << e.what();
  }
}

const std::string kArg0 = "variants.tiled.launches[0].args[0]";

const TensorMapErrorCase kErrorCases[] = {
    {"unknown_buffer", "{tensor_map: x, box: [BM, BN]", "{tensor_map: z, box: [BM, BN]", "z, box", kArg0 + ".tensor_map",
     "no buffer named 'z'; a tensor map tiles one of: idx, q, x, y"},
    {"buffer_not_a_name", "{tensor_map: x, box: [BM, BN]", "{tensor_map: [x], box: [BM, BN]", "[x]",
     kArg0 + ".tensor_map", "expected a string"},
    {"box_rank_too_high", "box: [BM, BN], swizzle: SW", "box: [BM, BN, 1], swizzle: SW", "[BM, BN, 1]", kArg0 + ".box",
     "expected 2 expressions, one per dim of buffer x's shape [M, N] (innermost last), got 3"},
    {"box_rank_too_low", "box: [BM, BN], swizzle: SW", "box: [BN], swizzle: SW", "[BN]", kArg0 + ".box",
     "expected 2 expressions"},
    {"box_rank_of_the_view", "view: [{mul: [B, M]}, N], box: [16, 8]", "view: [{mul: [B, M]}, N], box: [2, 16, 8]",
     "[2, 16, 8]", "variants.tiled.launches[0].args[1].box",
     "one per dim of its view [{mul: [B, M]}, N] (innermost last), got 3"},
    {"box_missing", "{tensor_map: x, box: [BM, BN], swizzle: SW}", "{tensor_map: x, swizzle: SW}",
     "{tensor_map: x, swizzle", kArg0 + ".box", "missing required key 'box'"},
    {"buffer_missing", "{tensor_map: x, box: [BM, BN], swizzle: SW}", "{box: [BM, BN], swizzle: SW}", "{box: [BM",
     kArg0 + ".tensor_map", "missing required key 'tensor_map'"},
    {"unknown_key", "swizzle: SW}", "swizle: SW}", "swizle", kArg0 + ".swizle",
     "unknown key 'swizle'; allowed here: tensor_map, box, swizzle, view"},
    {"bad_swizzle", "swizzle: SW}", "swizzle: 48}", "48}", kArg0 + ".swizzle",
     "expected none, 32, 64 or 128 (the swizzle span in bytes)"},
    {"bad_swizzle_word", "swizzle: SW}", "swizzle: {mul: [2, 100]}}", "{mul: [2, 100]}", kArg0 + ".swizzle",
     "got {mul: [2, 100]}"},
    {"swizzle_out_of_range", "swizzle: SW}", "swizzle: 1.0e300}", "1.0e300}", kArg0 + ".swizzle", "got 1.0e300"},
    {"swizzle_unknown_name", "swizzle: SW}", "swizzle: SWZ}", "SWZ}", kArg0 + ".swizzle", "unknown name 'SWZ'"},
    {"box_unknown_name", "box: [BM, BN]", "box: [BM, BK]", "BK]", kArg0 + ".box[1]", "unknown name 'BK'"},
    {"view_names_a_param", "view: [{mul: [B, M]}, N]", "view: [{mul: [B, M]}, BN]", "BN], box: [16",
     "variants.tiled.launches[0].args[1].view[1]", "unknown name 'BN'"},
    {"view_empty", "view: [{mul: [B, M]}, N]", "view: []", "[], box", "variants.tiled.launches[0].args[1].view",
     "expected a non-empty list"},
    {"rank_above_five", "  idx: {dtype: i32, shape: [M, N]}", "  idx: {dtype: i32, shape: [1, 1, 1, 1, M, N]}",
     "idx, box", "variants.tiled.launches[0].args[2].tensor_map", "a tensor map tiles 1 to 5 dims; buffer idx's shape"},
};

INSTANTIATE_TEST_SUITE_P(EachKind, TensorMapConfigErrors, ::testing::ValuesIn(kErrorCases),
                         [](const auto& info) { return std::string(info.param.name); });

// A view of as many dims as the box, over a buffer of six: the rank is the view's.
TEST(TensorMapConfig, AViewBringsABufferOfSixDimsWithinFive) {
  const test::TempDir dir;
  std::string yaml = replaced(kTilesYaml, "  idx: {dtype: i32, shape: [M, N]}", "  idx: {dtype: i32, shape: [1, 1, 1, 1, M, N]}");
  yaml = replaced(yaml, "{tensor_map: idx, box:", "{tensor_map: idx, view: [M, N], box:");
  EXPECT_NO_THROW(load_tiles(dir, yaml));
}

// ------------------------------------------------------------ checks per shape and candidate

// The reasons enumerate() prunes the tiles grid for at `shape`, after editing kTilesYaml.
std::map<std::string, size_t> prune_reasons(const std::string& from, const std::string& to, const Shape& shape,
                                            size_t* kept = nullptr) {
  const test::TempDir dir;
  const OpConfig c = load_tiles(dir, from.empty() ? kTilesYaml : replaced(kTilesYaml, from, to));
  PruneReport report;
  const auto candidates = enumerate(c, c.variants.at(0), shape, DeviceLimits{}, &report);
  if (kept) *kept = candidates.size();
  EXPECT_EQ(candidates.size(), report.kept);
  return report.by_reason;
}

const std::string kXMap = "launch k: tensor map of x: ";
const std::string kTileRow = "BN: [32]\n      SW: [128]";  // the base candidate's row and swizzle

TEST(TensorMapChecks, TheBaseCandidatePassesEveryRule) {
  for (const auto& [t, block_n] : {std::pair{DType::f32, "BN: [32]"}, std::pair{DType::f16, "BN: [64]"}}) {
    size_t kept = 0;
    EXPECT_TRUE(prune_reasons("BN: [32]", block_n, tiles_shape(100, 40, t), &kept).empty()) << dtype_name(t);
    EXPECT_EQ(kept, 1u);
  }
}

TEST(TensorMapChecks, EachBoxDimIsOneTo256) {
  const auto reasons = prune_reasons("BM: [64]", "BM: [0, 256, 257, 512]", tiles_shape(100, 40));
  EXPECT_EQ(reasons, (std::map<std::string, size_t>{{kXMap + "box dim 0 outside 1..256", 3}}));
}

TEST(TensorMapChecks, TheInnermostBoxRowIsAMultipleOf16Bytes) {
  // f32: 2 elements are 8 bytes, 4 are 16; f16: 4 are 8 bytes.
  const auto f32 = prune_reasons("SW: [128]", "SW: [0]", tiles_shape(100, 40));
  EXPECT_TRUE(f32.empty());
  const auto odd = prune_reasons(kTileRow, "BN: [2, 4, 6]\n      SW: [0]", tiles_shape(100, 40));
  EXPECT_EQ(odd, (std::map<std::string, size_t>{{kXMap + "innermost box row not a multiple of 16 bytes", 2}}));
  const auto f16 = prune_reasons(kTileRow, "BN: [4, 8]\n      SW: [0]", tiles_shape(100, 40, DType::f16));
  EXPECT_EQ(f16, (std::map<std::string, size_t>{{kXMap + "innermost box row not a multiple of 16 bytes", 1}}));
}

TEST(TensorMapChecks, ASwizzledBoxRowIsExactlyTheSwizzleSpan) {
  // 64 elements: 256 bytes in f32 (wider than 128), 128 in f16 (the span).
  const auto f32 = prune_reasons("BN: [32]", "BN: [64]", tiles_shape(100, 40));
  EXPECT_EQ(f32, (std::map<std::string, size_t>{{kXMap + "innermost box row not as wide as its 128-byte swizzle span", 1}}));
  EXPECT_TRUE(prune_reasons("BN: [32]", "BN: [64]", tiles_shape(100, 40, DType::f16)).empty());
  // 32 f16 elements (64 bytes) fill a 64-byte span, not a 128-byte one (the TMA unit lays a
  // narrower swizzled row a whole span apart, although the driver encodes it).
  const auto narrow = prune_reasons("", "", tiles_shape(100, 40, DType::f16));
  EXPECT_EQ(narrow, (std::map<std::string, size_t>{{kXMap + "innermost box row not as wide as its 128-byte swizzle span", 1}}));
  // 32 f32 elements (128 bytes) fit a 128-byte span only.
  size_t kept = 0;
  const auto spans = prune_reasons("SW: [128]", "SW: [32, 64, 128]", tiles_shape(100, 40), &kept);
  EXPECT_EQ(kept, 1u);
  EXPECT_EQ(spans.at(kXMap + "innermost box row not as wide as its 32-byte swizzle span"), 1u);
  EXPECT_EQ(spans.at(kXMap + "innermost box row not as wide as its 64-byte swizzle span"), 1u);
}

TEST(TensorMapChecks, ASwizzleFromAParamIsOneOfTheSpans) {
  const auto reasons = prune_reasons("SW: [128]", "SW: [16, 128, 256]", tiles_shape(100, 40));
  EXPECT_EQ(reasons, (std::map<std::string, size_t>{{kXMap + "swizzle is not none, 32, 64 or 128 bytes", 2}}));
}

TEST(TensorMapChecks, RowStridesAreMultiplesOf16Bytes) {
  // N = 777: an f32 row is 3108 bytes. Every candidate goes, with the stride in the reason.
  size_t kept = 1;
  const auto reasons = prune_reasons("", "", tiles_shape(100, 777), &kept);
  EXPECT_EQ(kept, 0u);
  EXPECT_EQ(reasons, (std::map<std::string, size_t>{{kXMap + "stride of dim 0 is 3108 bytes, not a multiple of 16", 1}}));
  // N = 776 (3104 bytes, 1552 in f16) passes; N = 780 is 1560 bytes in f16.
  EXPECT_TRUE(prune_reasons("", "", tiles_shape(100, 776)).empty());
  EXPECT_TRUE(prune_reasons("BN: [32]", "BN: [64]", tiles_shape(100, 776, DType::f16)).empty());
  EXPECT_EQ(prune_reasons("BN: [32]", "BN: [64]", tiles_shape(100, 780, DType::f16)).size(), 1u);
}

TEST(TensorMapChecks, AViewHoldsAsManyElementsAsItsBuffer) {
  const auto reasons = prune_reasons("view: [{mul: [B, M]}, N]", "view: [M, N]", tiles_shape(100, 40));
  ASSERT_EQ(reasons.size(), 1u);
  EXPECT_EQ(reasons.begin()->first, "launch k: tensor map of q: view [100,40] of buffer q [2,100,40] holds a different "
                                    "number of elements");
}

TEST(TensorMapChecks, ABoxThatIsNotAnIntegerIsPrunedWithItsReason) {
  const auto reasons = prune_reasons("box: [BM, BN]", "box: [{div: [BM, 3]}, BN]", tiles_shape(100, 40));
  ASSERT_EQ(reasons.size(), 1u);
  EXPECT_EQ(reasons.begin()->first.rfind(kXMap, 0), 0u) << reasons.begin()->first;
  EXPECT_NE(reasons.begin()->first.find("integer"), std::string::npos) << reasons.begin()->first;
}

// Rules a config cannot reach through a shape (kpg refuses buffers over 2^31 elements, and
// the loader ranks over 5): the driver's limits, checked on the layout itself.
TEST(TensorMapLayoutRules, RankDimsAndStridesWithinTheDriversLimits) {
  TensorMapLayout l;
  l.dims = {64, 64};
  l.box = {8, 8};
  EXPECT_EQ(tensor_map_problem(l), std::nullopt);
  l.dims = {};
  l.box = {};
  EXPECT_EQ(tensor_map_problem(l), "rank 0 outside 1..5");
  l.dims = {1, 1, 1, 1, 1, 64};
  l.box = {1, 1, 1, 1, 1, 8};
  EXPECT_EQ(tensor_map_problem(l), "rank 6 outside 1..5");
  l.dims = {(int64_t{1} << 32) + 1, 64};
  l.box = {8, 8};
  EXPECT_EQ(tensor_map_problem(l), "dim 0 outside 1..2^32");
  l.dims = {2, int64_t{1} << 19, int64_t{1} << 19};  // f32: dim 0 steps 2^40 bytes
  l.box = {1, 8, 8};
  EXPECT_EQ(tensor_map_problem(l), "stride of dim 0 at or above 2^40 bytes");
  l.dims = {2, int64_t{1} << 19, (int64_t{1} << 19) - 4};
  EXPECT_EQ(tensor_map_problem(l), std::nullopt);
  l.box = {8, 8};
  EXPECT_EQ(tensor_map_problem(l), "2 box dims for 3 dims");
  // Strides past int64 saturate rather than wrap around.
  l.dims = {4, int64_t{1} << 32, int64_t{1} << 32, int64_t{1} << 32};
  l.box = {1, 1, 1, 8};
  EXPECT_EQ(tensor_map_problem(l), "stride of dim 0 at or above 2^40 bytes");
  EXPECT_EQ(l.strides_bytes()[0], std::numeric_limits<int64_t>::max());
}

TEST(TensorMapLayoutRules, StridesAreRowMajorOutermostFirst) {
  TensorMapLayout l;
  l.element_bytes = 2;
  l.dims = {3, 5, 8};
  EXPECT_EQ(l.strides_bytes(), (std::vector<int64_t>{80, 16}));
  l.dims = {7};
  EXPECT_TRUE(l.strides_bytes().empty());
}

// ------------------------------------------------------------------------- tuning key

TEST(TensorMapConfig, TheBoxAndSwizzleArePartOfTheTuningKey) {
  const test::TempDir dir;
  const auto hash = [&](const std::string& yaml) {
    const OpConfig c = load_tiles(dir, yaml);
    return source_hash(c, {dir.path() / "kernels"}, &c.variants.at(0));
  };
  const std::string base = hash(kTilesYaml);
  EXPECT_EQ(hash(kTilesYaml), base);
  EXPECT_NE(hash(replaced(kTilesYaml, "box: [16, 8]", "box: [16, 16]")), base);
  EXPECT_NE(hash(replaced(kTilesYaml, "swizzle: none", "swizzle: 32")), base);
  EXPECT_NE(hash(replaced(kTilesYaml, "view: [{mul: [B, M]}, N]", "view: [B, {mul: [M, N]}]")), base);
}

// Configs without tensor maps keep the JSON (and so the tuning keys) they had.
TEST(TensorMapConfig, OnlyATensorMapArgumentCarriesTheKeyInJson) {
  const test::TempDir dir;
  const OpConfig c = load_tiles(dir, kTilesYaml);
  const nlohmann::json launch = to_json(c.variants.at(0).spaces.at(0))["launches"][0];
  EXPECT_TRUE(launch["args"][0].contains("tensor_map"));
  EXPECT_EQ(launch["args"][0]["tensor_map"]["box"], nlohmann::json::array({"BM", "BN"}));
  EXPECT_FALSE(launch["args"][3].contains("tensor_map"));  // y, a pointer
  EXPECT_EQ(launch["args"][3], (nlohmann::json{{"kind", 0}, {"name", "y"}, {"value", nullptr}}));
}

}  // namespace
}  // namespace kpg
