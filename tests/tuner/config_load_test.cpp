// A valid config loads into the structures the tuner uses; --shape parsing and its limits.

#include <gtest/gtest.h>

#include <fstream>

#include "tests/tuner/tuner_test_support.hpp"
#include "tuner/config.hpp"
#include "tuner/space.hpp"

namespace kpg {
namespace {

TEST(LoadConfig, TinyConfigLoadsEveryPart) {
  test::TempDir dir;
  const OpConfig c = test::load_yaml(dir, test::kTinyYaml);
  EXPECT_EQ(c.op, "tiny");
  EXPECT_EQ(c.description, "a config for the tuner tests");
  EXPECT_EQ(c.source, dir.path() / "kernels" / "tiny.cu");
  EXPECT_TRUE(c.source.is_absolute());
  EXPECT_EQ(c.dims, (std::vector<std::string>{"M", "N"}));
  EXPECT_EQ(c.dtypes, (std::vector<DType>{DType::f32, DType::f16}));
  ASSERT_EQ(c.shapes.size(), 2u);
  EXPECT_EQ(c.shapes[0].to_string(), "M=64,N=300,dtype=f32");  // dtype defaults to the first
  EXPECT_EQ(c.shapes[1].dtype, DType::f16);
  EXPECT_EQ(c.cache_key.at("M"), "pow2");
  EXPECT_EQ(c.cache_key.at("N"), "exact");  // unnamed dims are exact

  ASSERT_EQ(c.buffers.size(), 3u);
  EXPECT_EQ(c.buffers[0].name, "x");
  EXPECT_EQ(c.buffers[0].role, BufferSpec::input);
  ASSERT_TRUE(c.buffers[0].init);
  EXPECT_EQ(c.buffers[0].init->kind, InitSpec::uniform);
  EXPECT_EQ(c.buffers[0].init->a, -1);
  EXPECT_EQ(c.buffers[0].init->b, 1);
  EXPECT_EQ(c.buffers[1].role, BufferSpec::output);
  EXPECT_EQ(c.buffers[2].role, BufferSpec::scratch);
  EXPECT_EQ(c.buffers[2].dtype, "f32");
  EXPECT_EQ(c.buffers[0].dtype, "T");
  ASSERT_EQ(c.scalars.size(), 1u);
  EXPECT_EQ(c.scalars[0].first, "eps");
  EXPECT_DOUBLE_EQ(c.scalars[0].second.eval({}), 1e-5);

  EXPECT_EQ(c.reference.builtin, "softmax");
  EXPECT_TRUE(c.reference.variant.empty());
  EXPECT_DOUBLE_EQ(c.tolerance.at(DType::f32).rel, 1e-4);
  EXPECT_FALSE(c.tolerance.count(DType::f16));
  EXPECT_EQ(c.timing.min_reps, 5);
  EXPECT_EQ(c.timing.max_reps, 50);
  EXPECT_DOUBLE_EQ(c.timing.graph_below_us, 5);

  ASSERT_EQ(c.variants.size(), 2u);
  const VariantSpec* fused = c.find_variant("fused");
  ASSERT_NE(fused, nullptr);
  ASSERT_EQ(fused->spaces.size(), 2u);
  const SpaceSpec& warp = fused->spaces[0];
  EXPECT_EQ(warp.name, "warp");
  ASSERT_EQ(warp.params.size(), 2u);
  EXPECT_EQ(warp.params[0].first, "VEC");  // file order, not alphabetical
  EXPECT_EQ(warp.params[0].second, (std::vector<int64_t>{1, 2, 4}));
  EXPECT_EQ(warp.defaults, (std::map<std::string, int64_t>{{"VEC", 4}, {"WARPS", 4}}));
  ASSERT_EQ(warp.launches.size(), 1u);
  const auto& args = warp.launches[0].args;
  ASSERT_EQ(args.size(), 8u);
  EXPECT_EQ(args[0].kind, ArgSpec::buffer);
  EXPECT_EQ(args[2].kind, ArgSpec::int32_name);  // a dim
  EXPECT_EQ(args[4].kind, ArgSpec::int32_name);  // a param
  EXPECT_EQ(args[5].kind, ArgSpec::scalar_name);
  EXPECT_EQ(args[6].kind, ArgSpec::f32);
  EXPECT_EQ(args[7].kind, ArgSpec::i64);
  EXPECT_EQ(args[7].value->eval_int({{"M", 3}, {"N", 5}}), 15);
  EXPECT_EQ(warp.launches[0].shared_bytes.eval_int({}), 0);

  // A space's default is its first values when not given; an inline variant is one space
  // named after the variant.
  EXPECT_EQ(fused->spaces[1].defaults, (std::map<std::string, int64_t>{{"THREADS", 128}}));
  const VariantSpec* unfused = c.find_variant("unfused");
  ASSERT_NE(unfused, nullptr);
  ASSERT_EQ(unfused->spaces.size(), 1u);
  EXPECT_EQ(unfused->spaces[0].name, "unfused");
  EXPECT_EQ(unfused->spaces[0].launches.size(), 2u);
  EXPECT_EQ(c.find_variant("nope"), nullptr);
  EXPECT_NE(c.find_buffer("rowmax"), nullptr);
}

TEST(LoadConfig, SourceFallsBackToTheConfigsFolder) {
  test::TempDir dir;
  test::write_file(dir.path() / "user" / "tiny.cu", "// next to the config\n");
  const auto yaml = test::write_file(dir.path() / "user" / "tiny.yaml", test::kTinyYaml);
  const OpConfig c = load_config(yaml, dir.path() / "no-kernels-here");
  EXPECT_EQ(c.source, dir.path() / "user" / "tiny.cu");
}

TEST(LoadConfig, ExpressionAnchorsAndUnbracketedSingleArgumentsWork) {
  // The style of configs/softmax.yaml: YAML anchors name a sub-expression once, and a
  // one-argument op may omit its brackets.
  const std::string yaml = test::replaced(test::kTinyYaml, "COLS: {ceil_div: [N, {mul: [VEC, 32]}]}",
                                          "COLS: {ceil_div: [&w {mul: [VEC, 32]}, *w]}\n          P2: {pow2_ceil: N}");
  test::TempDir dir;
  const OpConfig c = test::load_yaml(dir, yaml);
  const auto& defines = c.find_variant("fused")->spaces[0].defines;
  ASSERT_EQ(defines.size(), 2u);
  EXPECT_EQ(defines[0].second.eval_int({{"VEC", 2}}), 1);
  EXPECT_EQ(defines[1].second.eval_int({{"N", 300}}), 512);
}

TEST(LoadConfig, RepositorySoftmaxConfigIsValid) {
  const std::filesystem::path repo = std::filesystem::path(KPG_TEST_SOURCE_DIR).parent_path();
  if (!std::filesystem::exists(repo / "configs" / "softmax.yaml")) GTEST_SKIP() << "no configs/softmax.yaml";
  const OpConfig c = load_config(repo / "configs" / "softmax.yaml", repo / "kernels_src");
  EXPECT_EQ(c.op, "softmax");
  ASSERT_FALSE(c.shapes.empty());
  for (const auto& v : c.variants) {
    PruneReport report;
    const auto candidates = enumerate(c, v, c.shapes.front(), DeviceLimits{}, &report);
    EXPECT_FALSE(candidates.empty()) << v.name;
    EXPECT_EQ(report.kept, candidates.size());
    for (const auto& cand : candidates) EXPECT_NO_THROW(compile_defines(c, cand, c.shapes.front(), DeviceLimits{}));
  }
}

// `flops` (attention declares it) evaluates over the shape's dims; causal is half.
TEST(LoadConfig, AttentionDeclaresItsFlops) {
  const std::filesystem::path repo = std::filesystem::path(KPG_TEST_SOURCE_DIR).parent_path();
  const OpConfig c = load_config(repo / "configs" / "attention.yaml", repo / "kernels_src");
  ASSERT_TRUE(c.flops.has_value());
  Scope scope{{"B", 4}, {"H", 16}, {"N", 4096}, {"D", 128}, {"CAUSAL", 0}};
  const double full = 4.0 * 4 * 16 * 4096 * 4096 * 128;
  EXPECT_DOUBLE_EQ(c.flops->eval(scope), full);
  scope["CAUSAL"] = 1;
  EXPECT_DOUBLE_EQ(c.flops->eval(scope), full / 2);
  test::TempDir dir;
  EXPECT_FALSE(test::load_yaml(dir, test::kTinyYaml).flops.has_value());
}

// The example at the top of configs/README.md is a valid config, so the docs cannot rot.
TEST(LoadConfig, ReadmeExampleIsValid) {
  const std::filesystem::path repo = std::filesystem::path(KPG_TEST_SOURCE_DIR).parent_path();
  std::ifstream in(repo / "configs" / "README.md");
  if (!in) GTEST_SKIP() << "no configs/README.md";
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t begin = text.find("```yaml\n");
  ASSERT_NE(begin, std::string::npos);
  const size_t end = text.find("```", begin + 8);
  ASSERT_NE(end, std::string::npos);
  test::TempDir dir;
  test::write_file(dir.path() / "softmax.cu", "// stands in for kernels_src/softmax.cu\n");
  const auto yaml = test::write_file(dir.path() / "example.yaml", text.substr(begin + 8, end - begin - 8));
  const OpConfig c = load_config(yaml, dir.path());
  EXPECT_EQ(c.op, "softmax");
  EXPECT_EQ(c.variants.size(), 2u);
}

TEST(LoadConfig, GpuTestConfigIsValid) {
  const std::filesystem::path data = std::filesystem::path(KPG_TEST_SOURCE_DIR) / "data";
  if (!std::filesystem::exists(data / "slowed.yaml")) GTEST_SKIP() << "no tests/data/slowed.yaml";
  const OpConfig c = load_config(data / "slowed.yaml", data);
  EXPECT_EQ(c.reference.variant, "reference");
  EXPECT_EQ(enumerate(c, *c.find_variant("tuned"), c.shapes.front(), DeviceLimits{}, nullptr).size(), 8u);
}

TEST(ParseShape, ParsesDimsAndDtype) {
  test::TempDir dir;
  const OpConfig c = test::load_yaml(dir, test::kTinyYaml);
  const Shape s = parse_shape(" N=781, M=4096 ,dtype=f16", c);
  EXPECT_EQ(s.dims, (std::map<std::string, int64_t>{{"M", 4096}, {"N", 781}}));
  EXPECT_EQ(s.dtype, DType::f16);
  EXPECT_EQ(s.to_string(), "M=4096,N=781,dtype=f16");
  EXPECT_EQ(parse_shape("M=1,N=1", c).dtype, DType::f32);  // the config's first dtype
}

TEST(ParseShape, RejectsBadInputWithTheKey) {
  test::TempDir dir;
  const OpConfig c = test::load_yaml(dir, test::kTinyYaml);
  const struct {
    const char* text;
    const char* key;
    const char* message;
  } cases[] = {
      {"M=4096", "N", "missing dim N"},
      {"M=4096,N=abc", "N", "expected an integer"},
      {"M=4096,N=0", "N", "must be >= 1"},
      {"M=-3,N=5", "M", "must be >= 1"},
      {"M=4096,N=5,K=2", "K", "unknown dim"},
      {"M=4096,N=5,dtype=f64", "dtype", "expected f32, f16 or bf16"},
      {"M=4096,N=5,dtype=bf16", "dtype", "not one of this op's dtypes"},
      {"M=4096,M=5,N=1", "M", "given twice"},
      {"M=4096,N5", "N5", "expected K=V"},
      {"M=3000000000,N=1", "M", "does not fit the kernels' int32 arguments"},
      {"M=65536,N=65536", "", "buffer 'x' would have 65536 x 65536 elements"},
  };
  for (const auto& t : cases) {
    try {
      parse_shape(t.text, c);
      ADD_FAILURE() << "no error for " << t.text;
    } catch (const ConfigError& e) {
      EXPECT_EQ(e.loc.file, "--shape") << t.text;
      EXPECT_EQ(e.loc.key, t.key) << t.text << ": " << e.what();
      EXPECT_NE(e.message().find(t.message), std::string::npos) << t.text << ": " << e.what();
    }
  }
}

TEST(DTypes, NamesSizesAndParsing) {
  for (DType t : {DType::f32, DType::f16, DType::bf16, DType::i32}) EXPECT_EQ(parse_dtype(dtype_name(t)), t);
  EXPECT_EQ(dtype_bytes(DType::f32), 4u);
  EXPECT_EQ(dtype_bytes(DType::f16), 2u);
  EXPECT_EQ(dtype_bytes(DType::bf16), 2u);
  EXPECT_EQ(dtype_bytes(DType::i32), 4u);
  EXPECT_FALSE(parse_dtype("f64"));
}

}  // namespace
}  // namespace kpg
