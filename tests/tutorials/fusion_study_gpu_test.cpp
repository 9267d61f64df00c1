// The fusion study of the lessons measures each variant through the library: after the
// tuner's choice, the kernels it checks and times are a Launcher of the variant's
// kpg::Operation at that configuration, on the study's buffers. Both softmax variants at an
// odd shape match the float64 reference (and the row-sum check), are timed, and report the
// launches and configuration of the Operation's Launcher.

#include <gtest/gtest.h>

#include <string>

#include "kpg/operation.hpp"
#include "lib/problem.hpp"
#include "tests/gpu_test_env.hpp"
#include "tests/shared_test_support.hpp"
#include "tutorials/fusion_study.hpp"
#include "tutorials/tutorial.hpp"

namespace kpg {
namespace {

TEST(FusionStudyGpu, EachVariantIsCheckedAndTimedThroughTheOperationsLauncher) {
  KPG_SKIP_WITHOUT_GPU();
  testing::TempDir dir;
  TutorialOptions options;
  options.kernels_dir = KPG_TEST_KERNELS_DIR;
  options.configs_dir = KPG_TEST_CONFIGS_DIR;
  options.cache_dir = dir.path() / "cache";
  options.tune.budget = 3;
  options.tune.progress = false;
  TutorialSession session(options);
  const OpConfig config = load_tutorial_config(options, "softmax");
  const FusionStudy study(session, config, options.tune);
  const Shape shape = parse_shape("M=67,N=781", config);
  bool extra_ran = false;
  const FusionMeasurement m = study.measure(shape, {"unfused", "fused"}, [&](const Workload&) {
    extra_ran = true;
    return std::string();
  });
  EXPECT_TRUE(extra_ran);
  ASSERT_EQ(m.variants.size(), 2u);
  EXPECT_TRUE(m.all_correct());
  for (const auto& v : m.variants) {
    SCOPED_TRACE(v.variant + " " + v.config);
    EXPECT_TRUE(v.check.ok) << v.check.describe();
    EXPECT_GT(v.timing.reps, 0);
    Operation operation = open_operation(config, v.variant, session.operation_dirs);
    EXPECT_EQ(operation.variant(), v.variant);
    Launcher& launcher = operation.prepare(to_problem(shape), v.config);
    EXPECT_EQ(launcher.config().id, v.config);
    EXPECT_EQ(v.launches, launcher.describe());
  }
  EXPECT_GT(m.get("unfused").kernel_launches, m.get("fused").kernel_launches);
}

}  // namespace
}  // namespace kpg
