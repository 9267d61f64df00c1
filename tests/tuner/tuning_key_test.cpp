// The tuning key's hash: kernel files with their headers (the digest the cubin cache keys
// on too), and the parsed config less the grid, so that a kernel, header or launch edit
// invalidates records and a grid value, a comment or a checkout's location does not.

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "runtime/includes.hpp"
#include "tests/tuner/tuner_test_support.hpp"
#include "tuner/config_json.hpp"
#include "tuner/tuning_key.hpp"

namespace kpg {
namespace {

TEST(SourceHash, KernelHeadersAndLaunchSpecsCountButGridValuesDoNot) {
  test::TempDir dir;
  const auto kernels = dir.path() / "kernels";
  const OpConfig c = test::load_yaml(dir, test::kTinyYaml);
  const VariantSpec* fused = c.find_variant("fused");
  const std::string base = source_hash(c, {kernels});
  const std::string with_variant = source_hash(c, {kernels}, fused);
  EXPECT_EQ(base.size(), 64u);
  EXPECT_NE(base, with_variant);
  EXPECT_EQ(base, source_hash(c, {kernels}));

  test::write_file(kernels / "tiny_common.cuh", "#pragma once\n#define CHANGED 1\n");  // an included header
  const std::string header_changed = source_hash(c, {kernels});
  EXPECT_NE(header_changed, base);
  test::write_file(kernels / "tiny.cu", test::kTinyKernel + "// edited\n");  // the kernel itself
  EXPECT_NE(source_hash(c, {kernels}), header_changed);

  // A value added to a grid keeps the hash (records stay valid); a launch edit changes it.
  test::TempDir other;
  const OpConfig more = test::load_yaml(other, test::replaced(test::kTinyYaml, "VEC: [1, 2, 4]", "VEC: [1, 2, 4, 8]"));
  const OpConfig relaunched = test::load_yaml(other, test::replaced(test::kTinyYaml, "block: [{mul: [WARPS, 32]}]", "block: [{mul: [WARPS, 64]}]"));
  const OpConfig base_again = test::load_yaml(other, test::kTinyYaml);
  const auto h = [&](const OpConfig& cfg) { return source_hash(cfg, {other.path() / "kernels"}, cfg.find_variant("fused")); };
  EXPECT_EQ(h(more), h(base_again));
  EXPECT_NE(h(relaunched), h(base_again));
  // Another variant's launches do not touch this one's hash.
  const OpConfig unfused_edit = test::load_yaml(other, test::replaced(test::kTinyYaml, "grid: [M, 2]", "grid: [M, 3]"));
  EXPECT_EQ(h(unfused_edit), h(base_again));
}

// A variant's records follow its own spaces' kernel files (and what they include): editing
// the unfused variant's file, or a header only it includes, leaves the fused records valid.
TEST(SourceHash, AVariantHashesItsOwnSpacesSources) {
  test::TempDir dir;
  const auto kernels = dir.path() / "kernels";
  test::write_file(kernels / "tiny" / "unfused.cu", "#include \"tiny/unfused_only.cuh\"\n");
  test::write_file(kernels / "tiny" / "unfused_only.cuh", "#pragma once\n");
  const OpConfig c =
      test::load_yaml(dir, test::replaced(test::kTinyYaml, "  unfused:\n", "  unfused:\n    source: tiny/unfused.cu\n"));
  const auto fused = [&] { return source_hash(c, {kernels}, c.find_variant("fused")); };
  const auto unfused = [&] { return source_hash(c, {kernels}, c.find_variant("unfused")); };
  const auto all = [&] { return source_hash(c, {kernels}); };
  const std::string fused0 = fused(), unfused0 = unfused(), all0 = all();

  test::write_file(kernels / "tiny" / "unfused_only.cuh", "#pragma once\n#define EDITED 1\n");
  EXPECT_EQ(fused(), fused0);
  EXPECT_NE(unfused(), unfused0);
  EXPECT_NE(all(), all0);  // without a variant: every space's file
  const std::string unfused1 = unfused();
  test::write_file(kernels / "tiny" / "unfused.cu", "#include \"tiny/unfused_only.cuh\"\n// edited\n");
  EXPECT_EQ(fused(), fused0);
  EXPECT_NE(unfused(), unfused1);
  test::write_file(kernels / "tiny.cu", test::kTinyKernel + "// edited\n");
  EXPECT_NE(fused(), fused0);
}

// What a record depends on changes the key; what it does not leaves it.
TEST(SourceHash, EveryLaunchAndBufferFieldCountsAndNoGridOrCheckingField) {
  test::TempDir dir;
  const auto fused_hash = [&](const std::string& yaml) {
    const OpConfig c = test::load_yaml(dir, yaml);
    return source_hash(c, {dir.path() / "kernels"}, c.find_variant("fused"));
  };
  const std::string base = fused_hash(test::kTinyYaml);
  const std::pair<const char*, const char*> counted[] = {
      {"init: {uniform: [-1, 1]}", "init: {uniform: [-1, 2]}"},
      {"rowmax: {dtype: f32", "rowmax: {dtype: f16"},
      {"eps: 1.0e-5", "eps: 1.0e-6"},
      {"COLS: {ceil_div: [N, {mul: [VEC, 32]}]}", "COLS: {ceil_div: [N, {mul: [VEC, 64]}]}"},
      {"{f32: 0.5}", "{f32: 0.25}"},
      {"grid: [{ceil_div: [M, WARPS]}]", "grid: [{ceil_div: [M, {mul: [WARPS, 2]}]}]"},
      {"shared_bytes: {mul: [THREADS, 4]}", "shared_bytes: {mul: [THREADS, 8]}"},
      {"      - name: warp\n", "      - name: warp\n        arch: sm_90\n"},
      {"dtypes: [f32, f16]", "dtypes: [f32, f16, bf16]"},
  };
  for (const auto& [from, to] : counted)
    EXPECT_NE(fused_hash(test::replaced(test::kTinyYaml, from, to)), base) << from << " -> " << to;
  const std::pair<const char*, const char*> left_out[] = {
      {"default: {VEC: 4, WARPS: 4}", "default: {VEC: 2, WARPS: 4}"},
      {"- {le: [N, {mul: [VEC, 32, 8]}]}", "- {le: [N, {mul: [VEC, 32, 16]}]}"},
      {"description: a config for the tuner tests", "description: another text"},
      {"timing: {warmup_ms: 1, rep_ms: 5", "timing: {warmup_ms: 2, rep_ms: 7"},
      {"f32: {abs: 1.0e-6, rel: 1.0e-4}", "f32: {abs: 1.0e-5, rel: 1.0e-3}"},
      {"  - {M: 64, N: 300}\n", "  - {M: 64, N: 300}\n  - {M: 2, N: 3}\n"},
      {"cache_key: {M: pow2}", "cache_key: {M: exact}"},
      {"op: tiny\n", "# a comment shifts every line below it\n\nop: tiny\n"},
  };
  for (const auto& [from, to] : left_out)
    EXPECT_EQ(fused_hash(test::replaced(test::kTinyYaml, from, to)), base) << from << " -> " << to;
}

// The key names files by name and content, never by path: a checkout moved elsewhere (or
// another user's) keeps its records.
TEST(SourceHash, TheSameFilesElsewhereGiveTheSameKey) {
  test::TempDir here, there;
  const OpConfig a = test::load_yaml(here, test::kTinyYaml);
  const OpConfig b = test::load_yaml(there, test::kTinyYaml);
  EXPECT_EQ(source_hash(a, {here.path() / "kernels"}, a.find_variant("fused")),
            source_hash(b, {there.path() / "kernels"}, b.find_variant("fused")));
}

// The kernel files count through the digest the cubin cache keys on: a header edit that
// changes the digest changes the key, and undoing it restores both.
TEST(SourceHash, KernelFilesCountThroughTheCubinCachesDigest) {
  test::TempDir dir;
  const auto kernels = dir.path() / "kernels";
  const OpConfig c = test::load_yaml(dir, test::kTinyYaml);
  const auto key = [&] { return source_hash(c, {kernels}, c.find_variant("fused")); };
  const auto digest = [&] { return digest_source_file(kernels / "tiny.cu", {kernels}).sha256; };
  const std::string key0 = key(), digest0 = digest();
  test::write_file(kernels / "tiny_common.cuh", "#pragma once\n#define EDITED 1\n");
  EXPECT_NE(digest(), digest0);
  EXPECT_NE(key(), key0);
  test::write_file(kernels / "tiny_common.cuh", "#pragma once\n");
  EXPECT_EQ(digest(), digest0);
  EXPECT_EQ(key(), key0);
}

// The canonical form holds every field of the config (and none of the source positions).
TEST(ConfigJson, WritesEveryFieldAndNoPosition) {
  test::TempDir dir;
  const OpConfig c = test::load_yaml(dir, test::kTinyYaml);
  const auto j = to_json(c);
  std::vector<std::string> keys;
  for (const auto& [k, v] : j.items()) keys.push_back(k);
  const std::vector<std::string> expected{"buffers", "cache_key", "description", "dims", "dtypes", "file", "flags",
                                          "flops", "op", "reference", "scalars", "shapes", "source", "timing",
                                          "tolerance", "variants"};
  EXPECT_EQ(keys, expected);
  const auto& warp = j.at("variants").at(0).at("spaces").at(0);
  EXPECT_EQ(warp.at("name"), "warp");
  EXPECT_EQ(warp.at("defaults"), (nlohmann::json{{"VEC", 4}, {"WARPS", 4}}));
  EXPECT_EQ(warp.at("launches").at(0).at("grid").at(0), "{ceil_div: [M, WARPS]}");
  EXPECT_EQ(j.at("timing").at("rep_ms"), 5.0);
  EXPECT_EQ(j.dump().find("\"line\""), std::string::npos) << "no source position: " << j.dump();
  // The key's projection: this variant alone, less the grid and how records are checked.
  const auto keyed = keyed_config(c, *c.find_variant("fused"));
  EXPECT_FALSE(keyed.contains("variants"));
  EXPECT_FALSE(keyed.contains("tolerance"));
  EXPECT_FALSE(keyed.at("variant").at("spaces").at(0).contains("params"));
  EXPECT_EQ(keyed.at("variant").at("spaces").at(0).at("source"), "tiny.cu");
}

}  // namespace
}  // namespace kpg
