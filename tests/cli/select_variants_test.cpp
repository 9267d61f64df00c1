// select_variants: the --variant choice that kpg tune, kpg run and kpg watch share.

#include <gtest/gtest.h>

#include "cli/core/op_session.hpp"
#include "runtime/error.hpp"

namespace kpg {
namespace {

OpConfig softmax() {
  return load_config(std::filesystem::path(KPG_TEST_CONFIGS_DIR) / "softmax.yaml", KPG_TEST_KERNELS_DIR);
}

std::vector<std::string> names(const std::vector<const VariantSpec*>& variants) {
  std::vector<std::string> out;
  for (const auto* v : variants) out.push_back(v->name);
  return out;
}

TEST(SelectVariants, NoNameMeansEveryVariantInConfigOrder) {
  const OpConfig config = softmax();
  std::vector<std::string> all;
  for (const auto& v : config.variants) all.push_back(v.name);
  ASSERT_GE(all.size(), 2u);
  EXPECT_EQ(names(select_variants(config, {})), all);
}

TEST(SelectVariants, NamesKeepTheirOrder) {
  const OpConfig config = softmax();
  EXPECT_EQ(names(select_variants(config, {"unfused", "fused"})), (std::vector<std::string>{"unfused", "fused"}));
}

TEST(SelectVariants, AnUnknownNameListsTheVariants) {
  const OpConfig config = softmax();
  try {
    select_variants(config, {"fused", "fastest"});
    FAIL() << "no error for an unknown variant";
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("softmax.yaml: no variant 'fastest' (variants: "), std::string::npos) << what;
    EXPECT_NE(what.find("unfused"), std::string::npos) << what;
  }
}

}  // namespace
}  // namespace kpg
