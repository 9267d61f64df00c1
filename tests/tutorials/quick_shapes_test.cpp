// The main job's shapes (`kpg tutorial ... --quick`): valid rows of each lesson, chosen
// by tutorial_shapes only when asked for, with --shape and --dtype still in charge.
#include <gtest/gtest.h>

#include <algorithm>

#include "tuner/config.hpp"
#include "tutorials/quick_shapes.hpp"
#include "tutorials/tutorial.hpp"

namespace kpg {
namespace {

TutorialOptions source_tree_options() {
  TutorialOptions o;
  o.kernels_dir = KPG_TEST_KERNELS_DIR;
  o.configs_dir = KPG_TEST_CONFIGS_DIR;
  return o;
}

std::vector<std::string> texts(const std::vector<Shape>& shapes) {
  std::vector<std::string> out;
  for (const auto& s : shapes) out.push_back(s.to_string());
  return out;
}

TEST(QuickShapes, AreRowsOfTheFullLessonForEveryOp) {
  TutorialOptions o = source_tree_options();
  o.quick = true;
  for (const char* op : {"softmax", "layernorm", "rmsnorm", "attention"}) {
    const OpConfig config = load_tutorial_config(o, op);
    const auto quick = texts(tutorial_shapes(config, o));
    ASSERT_FALSE(quick.empty()) << op;
    EXPECT_LT(quick.size(), config.shapes.size()) << op << ": a few shapes, not all of them";
    EXPECT_EQ(quick.size(), quick_shapes(op).size()) << op;
    const auto all = texts(config.shapes);
    for (const auto& s : quick)
      EXPECT_NE(std::find(all.begin(), all.end(), s), all.end()) << op << " " << s << " is not a default shape";
  }
  EXPECT_TRUE(quick_shapes("bias_gelu").empty());
}

TEST(QuickShapes, OnlyWhenAskedAndNeverOverTheShapeFlag) {
  TutorialOptions o = source_tree_options();
  const OpConfig config = load_tutorial_config(o, "softmax");
  EXPECT_EQ(texts(tutorial_shapes(config, o)), texts(config.shapes));
  o.quick = true;
  o.dtype = "f16";
  for (const auto& s : tutorial_shapes(config, o)) EXPECT_EQ(s.dtype, DType::f16) << s.to_string();
  o.shapes = {"M=3,N=5"};
  const auto given = tutorial_shapes(config, o);
  ASSERT_EQ(given.size(), 1u);
  EXPECT_EQ(given[0].dims.at("N"), 5);
  EXPECT_EQ(given[0].dtype, DType::f16) << "--dtype applies to a --shape that names no dtype";
  o.shapes = {"M=3,N=5,dtype=bf16"};
  EXPECT_EQ(tutorial_shapes(config, o).at(0).dtype, DType::bf16) << "a --shape's own dtype wins";
  o.shapes = {"M=3, N=5, dtype = bf16"};
  EXPECT_EQ(tutorial_shapes(config, o).at(0).dtype, DType::bf16) << "however the --shape spaces its dtype";
}

}  // namespace
}  // namespace kpg
