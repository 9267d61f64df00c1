// What a watch depends on (config, source, transitive headers) and what it works on
// (shape, dtype, variants), from a config as it is loaded.

#include "cli/watch/watched_files.hpp"

#include <gtest/gtest.h>

#include "cli/watch/watch_target.hpp"
#include "cli_test_support.hpp"
#include "runtime/error.hpp"

namespace kpg {
namespace {

namespace fs = std::filesystem;
using test::TempDir;
using test::normal;
using test::write_in_place;

TEST(WatchedFiles, ConfigSourceAndEveryHeaderItIncludesTransitively) {
  TempDir dir;
  const auto op = test::write_copy_op(dir.path());
  const OpConfig config = load_config(op.config, dir.path() / "no-kernels-dir");
  const auto files = watched_files(config, dir.path() / "no-kernels-dir");
  EXPECT_EQ(files, (std::vector<fs::path>{normal(op.config), normal(op.source), normal(op.common), normal(op.math)}));
}

TEST(WatchedFiles, HeadersFromTheKernelsFolderAndNoToolkitHeaders) {
  TempDir dir;
  const auto op = test::write_copy_op(dir.path() / "configs");
  // copy_math.cuh now lives in the kernels folder and is reached with <...>; the toolkit's
  // cuda_fp16.h is not a project header and is not watched.
  fs::remove(op.math);
  const auto shared = write_in_place(dir.path() / "kernels" / "shared" / "math.cuh", "#pragma once\n");
  write_in_place(op.common, "#include <shared/math.cuh>\n#include <cuda_fp16.h>\n#include \"missing.cuh\"\n");
  const OpConfig config = load_config(op.config, dir.path() / "kernels");
  const auto files = watched_files(config, dir.path() / "kernels");
  EXPECT_EQ(files, (std::vector<fs::path>{normal(op.config), normal(op.source), normal(op.common), normal(shared)}));
}

// A variant with its own kernel file: both files and both files' headers are watched.
TEST(WatchedFiles, EverySpacesSourceAndItsHeaders) {
  TempDir dir;
  const auto op = test::write_copy_op(dir.path());
  const auto own = write_in_place(dir.path() / "copy_plain.cu", "#include \"copy_plain.cuh\"\n");
  const auto own_header = write_in_place(dir.path() / "copy_plain.cuh", "#pragma once\n");
  std::string yaml = test::kCopyYaml;
  yaml.replace(yaml.find("  plain:\n"), 9, "  plain:\n    source: copy_plain.cu\n");
  write_in_place(op.config, yaml);
  const OpConfig config = load_config(op.config, dir.path() / "no-kernels-dir");
  EXPECT_EQ(watched_files(config, dir.path() / "no-kernels-dir"),
            (std::vector<fs::path>{normal(op.config), normal(own), normal(op.source), normal(own_header),
                                   normal(op.common), normal(op.math)}));
}

TEST(WatchedFiles, ASourceThatCannotBeReadIsStillWatched) {
  TempDir dir;
  const auto op = test::write_copy_op(dir.path());
  const OpConfig config = load_config(op.config, dir.path());
  fs::remove(op.source);
  EXPECT_EQ(watched_files(config, dir.path()), (std::vector<fs::path>{normal(op.config), normal(op.source)}));
}

TEST(WatchTarget, DefaultsToTheFirstShapeAndEveryVariant) {
  TempDir dir;
  const auto op = test::write_copy_op(dir.path());
  const OpConfig config = load_config(op.config, dir.path());
  EXPECT_EQ(watched_shape(config, {}).to_string(), "N=4096,dtype=f32");
  const auto variants = watched_variants(config, {});
  ASSERT_EQ(variants.size(), 2u);
  EXPECT_EQ(variants[0]->name, "plain");
  EXPECT_EQ(variants[1]->name, "tuned");
}

TEST(WatchTarget, ShapeDtypeAndVariantFlags) {
  TempDir dir;
  const auto op = test::write_copy_op(dir.path());
  std::string yaml = test::kCopyYaml;
  yaml.replace(yaml.find("dtypes: [f32]"), 13, "dtypes: [f32, f16]");
  write_in_place(op.config, yaml);
  const OpConfig config = load_config(op.config, dir.path());
  EXPECT_EQ(watched_shape(config, {"N=100", "", {}}).to_string(), "N=100,dtype=f32");
  EXPECT_EQ(watched_shape(config, {"N=100", "f16", {}}).to_string(), "N=100,dtype=f16");
  EXPECT_EQ(watched_shape(config, {"", "f16", {}}).to_string(), "N=4096,dtype=f16");
  const auto only = watched_variants(config, {"", "", {"tuned"}});
  ASSERT_EQ(only.size(), 1u);
  EXPECT_EQ(only[0]->name, "tuned");
}

TEST(WatchTarget, BadFlagsAreInputErrorsNamingTheFlag) {
  TempDir dir;
  const auto op = test::write_copy_op(dir.path());
  const OpConfig config = load_config(op.config, dir.path());
  try {
    watched_shape(config, {"", "bf16", {}});
    FAIL() << "bf16 is not a dtype of copy";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.loc.file, "--dtype");
    EXPECT_NE(std::string(e.what()).find("f32"), std::string::npos) << e.what();
  }
  EXPECT_THROW(watched_shape(config, {"M=3", "", {}}), ConfigError);
  try {
    watched_variants(config, {"", "", {"fused"}});
    FAIL() << "no variant fused";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("variants: plain, tuned"), std::string::npos) << e.what();
  }
}

TEST(WatchTarget, LabelOmitsASpaceNamedLikeItsVariant) {
  EXPECT_EQ(variant_label("fused", "block_per_row"), "fused/block_per_row");
  EXPECT_EQ(variant_label("tuned", "tuned"), "tuned");
}

}  // namespace
}  // namespace kpg
