// Problems from tensors' dims, buffers at a problem, bytes and flops (lib/problem.hpp).

#include <gtest/gtest.h>

#include "lib/problem.hpp"
#include "runtime/error.hpp"
#include "tests/library/library_test_support.hpp"

namespace kpg::testing {
namespace {

class LibraryProblem : public ::testing::Test {
 protected:
  LibraryProblem() : config_(load_config(write_rows_op(dir_.path()) / "rows.yaml", dir_.path() / "kernels")) {}

  std::string error_of(const std::vector<std::vector<int64_t>>& dims, const std::map<std::string, int64_t>& given = {}) {
    try {
      problem_for(config_, dims, "f16", given);
    } catch (const InputError& e) {
      return e.what();
    }
    return "no error";
  }

  TempDir dir_;
  OpConfig config_;
};

TEST_F(LibraryProblem, DimsComeFromTheInputsShapesAndFlagsDefaultToZero) {
  const Problem p = problem_for(config_, {{37, 781}, {781}}, "f16", {});
  EXPECT_EQ(p.dims, (std::map<std::string, int64_t>{{"M", 37}, {"N", 781}, {"SHIFT", 0}}));
  EXPECT_EQ(p.dtype, "f16");
  EXPECT_EQ(problem_for(config_, {{37, 781}, {781}}, "f16", {{"SHIFT", 1}}).dims.at("SHIFT"), 1);
}

TEST_F(LibraryProblem, LeadingDimsOfAHigherRankInputMergeIntoItsFirst) {
  const Problem p = problem_for(config_, {{4, 3, 5, 64}, {64}}, "bf16", {});
  EXPECT_EQ(p.dims.at("M"), 60);
  EXPECT_EQ(p.dims.at("N"), 64);
}

TEST_F(LibraryProblem, InputsThatDisagreeOrMissDimsAreNamed) {
  EXPECT_NE(error_of({{37, 781}, {780}}).find("input 'b' has dims [780], expected [N] = [781]"), std::string::npos);
  EXPECT_NE(error_of({{781}, {781}}).find("input 'x' has 1 dim(s) [781]; it needs 2: [M, N]"), std::string::npos);
  EXPECT_NE(error_of({{37, 781}}).find("rows takes 2 input(s) (x, b), got 1"), std::string::npos);
  EXPECT_NE(error_of({{37, 781}, {781}}, {{"SHIFT", 2}}).find("SHIFT: is a flag: 0 or 1, got 2"), std::string::npos);
  EXPECT_NE(error_of({{37, 781}, {781}}, {{"K", 2}}).find("unknown dim K"), std::string::npos);
  EXPECT_NE(error_of({{0, 781}, {781}}).find("M: must be >= 1, got 0"), std::string::npos);
  try {
    problem_for(config_, {{37, 781}, {781}}, "f64", {});
    ADD_FAILURE() << "f64 is no dtype of kpg";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("expected f32, f16 or bf16, got 'f64'"), std::string::npos) << e.what();
  }
}

TEST_F(LibraryProblem, BuffersBytesAndFlopsAtAProblem) {
  const Shape s = to_shape(config_, Problem{{{"M", 37}, {"N", 781}, {"SHIFT", 0}}, "f16"});
  const auto all = buffer_infos(config_, s);
  ASSERT_EQ(all.size(), 5u);
  EXPECT_EQ(all[4].name, "counter");
  EXPECT_EQ(all[4].role, BufferRole::scratch);
  EXPECT_EQ(all[4].dtype, "i32");
  EXPECT_EQ(all[4].dims, (std::vector<int64_t>{38}));
  const auto io = io_infos(config_, s);  // inputs, then outputs
  ASSERT_EQ(io.size(), 4u);
  EXPECT_EQ(io[0].name + io[1].name + io[2].name + io[3].name, "xbystats");
  EXPECT_EQ(io[3].dtype, "f32");
  // x and y: 37 * 781 f16 each; b: 781 f16; stats: 37 f32. Scratch is not counted.
  EXPECT_EQ(min_bytes(config_, s), 2 * (37 * 781 * 2) + 781 * 2 + 37 * 4);
  EXPECT_EQ(flops(config_, s), 3.0 * 37 * 781);
}

}  // namespace
}  // namespace kpg::testing
