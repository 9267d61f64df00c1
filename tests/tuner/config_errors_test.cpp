// Every kind of config error is one ConfigError naming the file, the line and column of
// the offending YAML node, and its key path.

#include <gtest/gtest.h>

#include "tests/tuner/tuner_test_support.hpp"
#include "tuner/config.hpp"

namespace kpg {
namespace {

using test::kTinyYaml;
using test::position_of;
using test::replaced;

struct ErrorCase {
  const char* name;
  std::string from, to;   // the edit applied to kTinyYaml
  std::string at;         // where the error must point: this text in the edited YAML
  int nth = 0;            // ... its n-th occurrence
  std::string key;        // expected key path
  std::string message;    // a part of the message
};

// gtest prints a failing parameter with this instead of its bytes.
void PrintTo(const ErrorCase& c, std::ostream* os) { *os << c.name; }

class ConfigErrors : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ConfigErrors, NamesFileLineColumnAndKey) {
  const ErrorCase& c = GetParam();
  const std::string yaml = replaced(kTinyYaml, c.from, c.to);
  test::TempDir dir;
  try {
    test::load_yaml(dir, yaml);
    FAIL() << "no error for " << c.name;
  } catch (const ConfigError& e) {
    const auto expected = position_of(yaml, c.at, c.nth);
    EXPECT_EQ(e.loc.file, (dir.path() / "tiny.yaml").string());
    EXPECT_EQ(e.loc.line, expected.line) << e.what();
    EXPECT_EQ(e.loc.column, expected.column) << e.what();
    EXPECT_EQ(e.loc.key, c.key) << e.what();
    EXPECT_NE(e.message().find(c.message), std::string::npos) << e.what();
    const std::string prefix = e.loc.file + ":" + std::to_string(expected.line) + ":" + std::to_string(expected.column) + ": " + c.key + ": ";
    EXPECT_EQ(std::string(e.what()).rfind(prefix, 0), 0u) << e.what();
  }
}

const ErrorCase kCases[] = {
    {"unknown_top_key", "description:", "descripton:", "descripton:", 0, "descripton", "allowed here: op, description"},
    {"unknown_launch_key", "shared_bytes: 0", "shared_byte: 0", "shared_byte", 0,
     "variants.fused.spaces[0].launches[0].shared_byte", "unknown key 'shared_byte'"},
    {"dims_not_a_list", "dims: [M, N]", "dims: M", "M\ndtypes", 0, "dims", "expected a list"},
    {"lowercase_dim", "dims: [M, N]", "dims: [M, n]", "n]", 0, "dims[1]", "UPPER case"},
    {"unknown_dtype", "dtypes: [f32, f16]", "dtypes: [f32, f64]", "f64", 0, "dtypes[1]", "expected f32, f16 or bf16"},
    {"empty_grid", "VEC: [1, 2, 4]", "VEC: []", "[]", 0, "variants.fused.spaces[0].params.VEC", "empty grid"},
    {"param_not_integer", "VEC: [1, 2, 4]", "VEC: [1, two, 4]", "two", 0, "variants.fused.spaces[0].params.VEC[1]",
     "expected an integer, got 'two'"},
    {"duplicate_grid_value", "VEC: [1, 2, 4]", "VEC: [1, 2, 2]", "2]", 0, "variants.fused.spaces[0].params.VEC[2]",
     "duplicate value 2"},
    {"default_not_in_grid", "default: {VEC: 4, WARPS: 4}", "default: {VEC: 3, WARPS: 4}", "3, WARPS", 0,
     "variants.fused.spaces[0].default.VEC", "3 is not in the grid of VEC [1, 2, 4]"},
    {"default_unknown_param", "default: {VEC: 4, WARPS: 4}", "default: {VEC: 4, WARP5: 4}", "WARP5", 0,
     "variants.fused.spaces[0].default.WARP5", "not a param of this space"},
    {"unknown_name_in_expression", "{mul: [VEC, 32, 8]}", "{mul: [VECC, 32, 8]}", "VECC", 0,
     "variants.fused.spaces[0].constraints[0]", "unknown name 'VECC'"},
    {"unknown_op", "{ceil_div: [N, {mul: [VEC, 32]}]}", "{ceil_dvi: [N, {mul: [VEC, 32]}]}", "ceil_dvi", 0,
     "variants.fused.spaces[0].defines.COLS", "unknown op 'ceil_dvi'"},
    {"wrong_arity", "grid: [{ceil_div: [M, WARPS]}]", "grid: [{ceil_div: [M]}]", "{ceil_div: [M]}", 0,
     "variants.fused.spaces[0].launches[0].grid[0]", "'ceil_div' takes 2 argument(s), got 1"},
    {"param_name_in_other_space", "block: [THREADS], grid: [M]", "block: [WARPS], grid: [M]", "WARPS]", 1,
     "variants.fused.spaces[1].launches[0].block[0]", "unknown name 'WARPS'"},
    {"unknown_argument", "args: [x, y, M, N], block: [THREADS]", "args: [x, y, M, Q], block: [THREADS]", "Q]", 0,
     "variants.fused.spaces[1].launches[0].args[3]", "unknown argument 'Q'"},
    {"shape_dim_zero", "{M: 64, N: 300}", "{M: 0, N: 300}", "0, N", 0, "shapes[0].M", "must be >= 1"},
    {"shape_dim_missing", "{M: 64, N: 300}", "{M: 64}", "{M: 64}", 0, "shapes[0]", "missing dim N"},
    {"shape_dim_unknown", "{M: 64, N: 300}", "{M: 64, N: 300, K: 2}", "K: 2", 0, "shapes[0].K", "unknown dim 'K'"},
    {"shape_overflows_int32", "{M: 64, N: 300}", "{M: 65536, N: 65536}", "{M: 65536", 0, "shapes[0]",
     "buffer 'x' would have 65536 x 65536 elements"},
    {"shape_dtype_not_offered", "{M: 1000, N: 300, dtype: f16}", "{M: 1000, N: 300, dtype: bf16}", "bf16}", 0,
     "shapes[1].dtype", "not one of this op's dtypes"},
    {"cache_key_policy", "cache_key: {M: pow2}", "cache_key: {M: log2}", "log2", 0, "cache_key.M", "expected exact or pow2"},
    {"buffer_without_shape", "y: {dtype: T, shape: [M, N], output: true}", "y: {dtype: T, output: true}", "{dtype: T, output", 0,
     "buffers.y.shape", "missing required key 'shape'"},
    {"init_on_output", "output: true}", "output: true, init: {iota: {}}}", "{iota", 0, "buffers.y.init", "only inputs have init"},
    {"no_output_buffer", "output: true}", "output: false}", "x: {dtype", 0, "buffers", "no buffer is marked `output: true`"},
    {"unknown_builtin_reference", "{builtin: softmax}", "{builtin: softmaxx}", "softmaxx", 0, "reference.builtin",
     "no builtin reference 'softmaxx'"},
    {"unknown_reference_variant", "{builtin: softmax}", "{variant: eager}", "eager", 0, "reference.variant", "no variant named 'eager'"},
    {"negative_tolerance", "{abs: 1.0e-6, rel: 1.0e-4}", "{abs: -1.0e-6, rel: 1.0e-4}", "-1.0e-6", 0, "tolerance.f32.abs", "must be >= 0"},
    {"timing_wrong_type", "min_reps: 5", "min_reps: five", "five", 0, "timing.min_reps", "expected an integer"},
    {"timing_inconsistent", "max_reps: 50", "max_reps: 2", "{warmup_ms", 0, "timing.max_reps", "below min_reps"},
    {"missing_kernel_file", "source: tiny.cu", "source: nothere.cu", "nothere.cu", 0, "source", "kernel file 'nothere.cu' not found"},
    {"bad_op_name", "op: tiny", "op: Tiny!", "Tiny!", 0, "op", "[a-z][a-z0-9_-]*"},
    {"missing_launches", "  unfused:\n    launches:", "  unfused:\n    launchez:", "launchez", 0, "variants.unfused.launchez",
     "unknown key 'launchez'"},
    {"too_many_block_dims", "block: [{mul: [WARPS, 32]}]", "block: [1, 1, 1, 1]", "[1, 1, 1, 1]", 0,
     "variants.fused.spaces[0].launches[0].block", "expected 1 to 3 expressions"},
    {"duplicate_key", "  unfused:\n", "  fused:\n", "fused:", 1, "variants.fused", "duplicate key 'fused'"},
    {"malformed_literal", "shared_bytes: 0", "shared_bytes: 12kb", "12kb", 0, "variants.fused.spaces[0].launches[0].shared_bytes",
     "expected a number, a name or {op: [args]}, got '12kb'"},
    {"param_shadows_dim", "THREADS: [128, 256, 512, 1024, 2048]", "N: [128, 256]", "N: [128", 0,
     "variants.fused.spaces[1].params.N", "already a dim"},
    {"space_without_name", "      - name: block\n", "      -\n", "params:\n          THREADS", 0, "variants.fused.spaces[1]",
     "missing required key 'name'"},
};

INSTANTIATE_TEST_SUITE_P(EachKind, ConfigErrors, ::testing::ValuesIn(kCases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(ConfigFileErrors, MalformedYamlReportsTheParserPosition) {
  const std::string yaml = replaced(kTinyYaml, "dims: [M, N]", "dims: [M, N");
  test::TempDir dir;
  try {
    test::load_yaml(dir, yaml);
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_GT(e.loc.line, 3);  // the parser notices the unclosed list at or after its line
    EXPECT_NE(e.message().find("malformed YAML"), std::string::npos) << e.what();
  }
}

TEST(ConfigFileErrors, TabsAndGarbageAreMalformedNotCrashes) {
  test::TempDir dir;
  for (const std::string yaml : {"op: [unclosed", "\t- x", "op: a\n  b: c\n d", "{", "- - - ]", "op: tiny\nop: again\n"}) {
    EXPECT_THROW(test::load_yaml(dir, yaml), ConfigError) << yaml;
  }
}

TEST(ConfigFileErrors, EmptyFileSaysWhatAConfigIs) {
  test::TempDir dir;
  try {
    test::load_yaml(dir, "");
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_NE(e.message().find("an op config is a map"), std::string::npos) << e.what();
  }
}

TEST(ConfigFileErrors, MissingFileIsAConfigErrorWithoutPosition) {
  test::TempDir dir;
  try {
    load_config(dir.path() / "absent.yaml", dir.path());
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.loc.line, 0);
    EXPECT_NE(e.message().find("cannot read"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).rfind((dir.path() / "absent.yaml").string() + ": cannot read", 0), 0u) << e.what();
  }
}

TEST(ConfigFileErrors, ConfigErrorIsAnInputError) {
  test::TempDir dir;
  EXPECT_THROW(test::load_yaml(dir, "op: 1"), InputError);
}

// Found by the config fuzzer (tests/fuzz): YAML aliases turn an expression into a graph.
TEST(ConfigFileErrors, AliasCycleInAnExpressionIsAnErrorNotAStackOverflow) {
  const std::string yaml = replaced(kTinyYaml, "COLS: {ceil_div: [N, {mul: [VEC, 32]}]}", "COLS: &e {add: [1, *e]}");
  test::TempDir dir;
  try {
    test::load_yaml(dir, yaml);
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.loc.key, "variants.fused.spaces[0].defines.COLS");
    EXPECT_NE(e.message().find("(a cycle)"), std::string::npos) << e.what();
  }
}

TEST(ConfigFileErrors, AliasBombIsRejectedBeforeItExpands) {
  // Each level doubles the previous one: 2^40 terms once expanded.
  std::string expr = "&a0 N";
  for (int i = 1; i <= 40; ++i) expr = "&a" + std::to_string(i) + " {add: [" + expr + ", *a" + std::to_string(i - 1) + "]}";
  const std::string yaml = replaced(kTinyYaml, "COLS: {ceil_div: [N, {mul: [VEC, 32]}]}", "COLS: " + expr);
  test::TempDir dir;
  try {
    test::load_yaml(dir, yaml);
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_NE(e.message().find("larger than 10000 terms"), std::string::npos) << e.what();
  }
}

TEST(ConfigFileErrors, DeeplyNestedExpressionIsRejected) {
  std::string expr = "N";
  for (int i = 0; i < 65; ++i) expr = "{add: [" + expr + "]}";
  const std::string yaml = replaced(kTinyYaml, "COLS: {ceil_div: [N, {mul: [VEC, 32]}]}", "COLS: " + expr);
  test::TempDir dir;
  try {
    test::load_yaml(dir, yaml);
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_NE(e.message().find("nested deeper than 64 levels"), std::string::npos) << e.what();
  }
  // 64 levels are still an expression.
  std::string ok = "N";
  for (int i = 0; i < 63; ++i) ok = "{add: [" + ok + "]}";
  EXPECT_NO_THROW(test::load_yaml(dir, replaced(kTinyYaml, "COLS: {ceil_div: [N, {mul: [VEC, 32]}]}", "COLS: " + ok)));
}

TEST(ConfigFileErrors, PathologicallyNestedYamlIsMalformedNotACrash) {
  // yaml-cpp stops at its own depth guard (DeepRecursion, a ParserException).
  test::TempDir dir;
  EXPECT_THROW(test::load_yaml(dir, "op: " + std::string(100000, '[')), ConfigError);
  EXPECT_THROW(test::load_yaml(dir, "op: " + std::string(100000, '{')), ConfigError);
}

TEST(LoadConfigText, NamesTheGivenPathAndFindsTheSourceNextToIt) {
  test::TempDir dir;
  const OpConfig from_file = test::load_yaml(dir, kTinyYaml);
  const OpConfig from_text = load_config_text(kTinyYaml, dir.path() / "tiny.yaml", dir.path() / "kernels");
  EXPECT_EQ(from_text.file, from_file.file);
  EXPECT_EQ(from_text.source, from_file.source);
  EXPECT_EQ(from_text.variants.size(), from_file.variants.size());
  try {
    load_config_text("op: [", "in-memory.yaml", dir.path());
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.loc.file, "in-memory.yaml");
  }
}

TEST(ResolveOpConfig, UnknownOpListsTheKnownOnes) {
  test::TempDir dir;
  test::write_file(dir.path() / "softmax.yaml", "op: softmax\n");
  test::write_file(dir.path() / "layernorm.yaml", "op: layernorm\n");
  EXPECT_EQ(resolve_op_config("softmax", dir.path()), dir.path() / "softmax.yaml");
  try {
    resolve_op_config("sofmax", dir.path());
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.loc.key, "op");
    EXPECT_NE(e.message().find("known ops: layernorm, softmax"), std::string::npos) << e.what();
  }
  const auto own = test::write_file(dir.path() / "mine" / "op.yaml", "op: x\n");
  EXPECT_EQ(resolve_op_config(own.string(), dir.path()), own);
  EXPECT_THROW(resolve_op_config((dir.path() / "none.yaml").string(), dir.path()), ConfigError);
}

}  // namespace
}  // namespace kpg
