// CPU tests (no GPU needed): kernels keep no tuning values of their own. Every space's kernel
// file, compiled without the -D values its YAML gives, stops with one "tuning parameter X is
// not defined" for each value it reads, and each X is a param or define of that space: the
// YAML is the one place a default lives.

#include <gtest/gtest.h>

#include <filesystem>
#include <regex>
#include <set>
#include <string>

#include "runtime/compiler.hpp"
#include "runtime/error.hpp"
#include "tuner/config.hpp"

namespace kpg {
namespace {

namespace fs = std::filesystem;

const fs::path kKernels = KPG_TEST_KERNELS_DIR;

// Params the YAML uses only for constraints and launch geometry, never passed on to the
// kernel's code: block_persist's CPT (chunks a thread) sets THREADS and COLS.
const std::set<std::string> kLaunchOnly = {"CPT"};

std::set<std::string> missing_parameters(const std::string& log) {
  static const std::regex pattern("tuning parameter ([A-Z_0-9]+) is not defined");
  std::set<std::string> names;
  for (auto it = std::sregex_iterator(log.begin(), log.end(), pattern); it != std::sregex_iterator(); ++it)
    names.insert((*it)[1].str());
  return names;
}

std::string dtype_define(DType t) {
  switch (t) {
    case DType::f16: return "KPG_DTYPE_F16";
    case DType::bf16: return "KPG_DTYPE_BF16";
    default: return "KPG_DTYPE_F32";
  }
}

TEST(KernelParams, EverySpaceFileNeedsItsParamsFromTheYamlAndNothingElse) {
  const Compiler compiler(nullptr);
  size_t spaces = 0;
  for (const std::string config_name : {"softmax", "layernorm", "rmsnorm", "attention", "examples/bias_gelu"}) {
    const OpConfig config = load_config(fs::path(KPG_TEST_CONFIGS_DIR) / (config_name + ".yaml"), kKernels);
    for (const auto& variant : config.variants) {
      for (const auto& space : variant.spaces) {
        SCOPED_TRACE(config.op + "/" + variant.name + "/" + space.name + " (" + space.source.string() + ")");
        ++spaces;
        CompileOptions options;
        options.arch = space.arch.empty() ? "sm_90" : space.arch;
        options.defines = {{dtype_define(config.dtypes.front()), "1"}};
        options.include_dirs = {kKernels, space.source.parent_path()};
        std::string log;
        try {
          compiler.compile_file(space.source, options);
          ADD_FAILURE() << "compiled without any of its tuning parameters: it keeps defaults of its own";
          continue;
        } catch (const CompileError& e) {
          log = e.log();
        }
        const auto named = missing_parameters(log);
        std::set<std::string> given;
        for (const auto& [name, values] : space.params) given.insert(name);
        for (const auto& [name, expr] : space.defines) given.insert(name);
        for (const auto& name : named) EXPECT_TRUE(given.count(name)) << name << " is not given by the YAML";
        for (const auto& [name, values] : space.params) {
          if (!kLaunchOnly.count(name)) {
            EXPECT_TRUE(named.count(name)) << name << " is not required:\n" << log;
          }
        }
      }
    }
  }
  EXPECT_GT(spaces, 20u);
}

// What `kpg compile FILE` shows for a bare kernel: each missing parameter by name, with the
// flag that supplies it.
TEST(KernelParams, ABareCompileSaysWhichParametersAreMissing) {
  CompileOptions options;
  options.defines = {{"KPG_DTYPE_F32", "1"}, {"THREADS", "256"}, {"COLS", "4"}};
  options.include_dirs = {kKernels};
  try {
    Compiler(nullptr).compile_file(kKernels / "softmax" / "block_per_row.cu", options);
    FAIL() << "expected a compile error";
  } catch (const CompileError& e) {
    EXPECT_EQ(missing_parameters(e.log()), (std::set<std::string>{"CLUSTER", "MIN_BLOCKS"})) << e.log();
    EXPECT_NE(e.log().find("compile with -DCLUSTER=<integer>"), std::string::npos) << e.log();
  }
  options.defines.push_back({"CLUSTER", "1"});
  options.defines.push_back({"MIN_BLOCKS", "x2"});
  try {
    Compiler(nullptr).compile_file(kKernels / "softmax" / "block_per_row.cu", options);
    FAIL() << "expected a compile error";
  } catch (const CompileError& e) {
    EXPECT_NE(e.log().find("kpg_error_tuning_parameter_is_not_a_decimal_integer"), std::string::npos) << e.log();
  }
  options.defines.back() = {"MIN_BLOCKS", "1"};
  EXPECT_FALSE(Compiler(nullptr).compile_file(kKernels / "softmax" / "block_per_row.cu", options).image.empty());
}

}  // namespace
}  // namespace kpg
