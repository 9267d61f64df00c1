#pragma once
// Helpers shared by the runtime tests: those of every folder (TempDir, ScopedEnv), and
// where the example kernels live.

#include <filesystem>

#include "tests/shared_test_support.hpp"

namespace kpg::testing {

inline std::filesystem::path examples_dir() { return std::filesystem::path(KPG_TEST_KERNELS_DIR) / "examples"; }

}  // namespace kpg::testing
