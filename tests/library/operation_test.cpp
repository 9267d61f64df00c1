// The public API without a GPU: opening ops, what they take, and that nothing is written.

#include <gtest/gtest.h>

#include <cstdlib>

#include "kpg/kpg.hpp"
#include "lib/data_dirs.hpp"
#include "lib/front_door.hpp"
#include "lib/nvidia_version.hpp"
#include "runtime/driver.hpp"
#include "tests/library/library_test_support.hpp"

namespace kpg::testing {
namespace {

// Every test here runs as if there were no driver: the library must say so, in one line.
class LibraryApi : public ::testing::Test {
 protected:
  LibraryApi() : configs_(write_rows_op(dir_.path() / "data")) {}

  void SetUp() override {
    // ctest runs each test in its own process; run together, a GPU test may have loaded the driver.
    if (detail::driver_load_attempted() && driver_available())
      GTEST_SKIP() << "a real driver is already loaded in this process";
  }

  kpg::OperationOptions options() const {
    kpg::OperationOptions o;
    o.configs_dir = configs_.string();
    o.kernels_dir = (dir_.path() / "data" / "kernels").string();
    return o;
  }

  TempDir dir_;
  std::filesystem::path configs_;
  ScopedEnv no_driver_{"KPG_DRIVER_LIBRARY", (dir_.path() / "no-libcuda.so.1").string()};
};

TEST_F(LibraryApi, AnOpOpensByNameOrPathAndTellsWhatItTakes) {
  const auto op = kpg::Operation::open("rows", options());
  EXPECT_EQ(op.name(), "rows");
  EXPECT_EQ(op.variant(), "fused");
  EXPECT_EQ(op.variants(), (std::vector<std::string>{"fused", "plain"}));
  EXPECT_EQ(op.dims(), (std::vector<std::string>{"M", "N", "SHIFT"}));
  EXPECT_EQ(op.flags(), (std::vector<std::string>{"SHIFT"}));
  EXPECT_EQ(op.inputs(), (std::vector<std::string>{"x", "b"}));
  EXPECT_EQ(op.outputs(), (std::vector<std::string>{"y", "stats"}));
  EXPECT_EQ(op.scalar_names(), (std::vector<std::string>{"eps"}));
  kpg::OperationOptions kernels_only;
  kernels_only.kernels_dir = options().kernels_dir;
  const auto by_path = kpg::Operation::open((configs_ / "rows.yaml").string(), kernels_only);
  EXPECT_EQ(by_path.name(), "rows");
  kpg::OperationOptions plain = options();
  plain.variant = "plain";
  EXPECT_EQ(kpg::Operation::open("rows", plain).variant(), "plain");
}

TEST_F(LibraryApi, FusedMeansTheFirstVariantOfAnOpWithoutOne) {
  write_file(configs_ / "flashy.yaml", replaced(kRowsYaml, "  fused:\n", "  flash:\n"));
  EXPECT_EQ(kpg::Operation::open("flashy", options()).variant(), "flash");
}

TEST_F(LibraryApi, BadInputIsInvalidInputWithKpgsMessage) {
  const auto message = [&](const std::string& name, const std::string& variant) {
    kpg::OperationOptions o = options();
    o.variant = variant;
    try {
      kpg::Operation::open(name, o);
    } catch (const kpg::InvalidInput& e) {
      return std::string(e.what());
    }
    return std::string("no InvalidInput");
  };
  EXPECT_NE(message("nope", "").find("unknown op"), std::string::npos);
  EXPECT_NE(message("rows", "ring").find("no variant 'ring' (variants: fused, plain)"), std::string::npos);
  write_file(configs_ / "broken.yaml", replaced(kRowsYaml, "dims: [M, N, SHIFT]", "dims: 7"));
  EXPECT_NE(message("broken", "").find("broken.yaml:4"), std::string::npos) << message("broken", "");
}

// kpg's own commands, built with the library, take back the error raised inside it: bad
// input stays InputError (exit 2), no driver NoDriverError, with the same message; callers
// of the API still catch the public type.
TEST_F(LibraryApi, KpgsOwnCommandsGetTheInternalErrorBack) {
  const auto open = [&](const std::string& name) { return kpg::Operation::open(name, options()); };
  EXPECT_THROW(open("nope"), kpg::InvalidInput);
  try {
    with_internal_errors([&] { return open("nope"); });
    ADD_FAILURE() << "no error for an unknown op";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("unknown op"), std::string::npos) << e.what();
  }
  auto op = open("rows");
  const kpg::Problem p{{{"M", 6}, {"N", 100}, {"SHIFT", 0}}, "f32"};
  EXPECT_THROW(op.config(p), kpg::NoDeviceError);
  EXPECT_THROW(with_internal_errors([&] { return op.config(p); }), NoDriverError);
  EXPECT_THROW(with_internal_errors([&] { return op.bytes(kpg::Problem{{{"M", 6}}, "f32"}); }), InputError);
  // Anything else passes unchanged.
  EXPECT_THROW(with_internal_errors([] { throw std::out_of_range("x"); }), std::out_of_range);
}

TEST_F(LibraryApi, BuffersBytesAndFlopsNeedNoGpu) {
  const auto op = kpg::Operation::open("rows", options());
  const kpg::Problem p = op.problem_for({{2, 3, 100}, {100}}, "f32");
  EXPECT_EQ(p.dims.at("M"), 6);
  EXPECT_EQ(op.bytes(p), (6 * 100 * 2 + 100 + 6) * 4);
  EXPECT_EQ(op.flops(p), 3.0 * 600);
  EXPECT_EQ(op.buffers(p).back().bytes(), 7 * 4);
  EXPECT_THROW(op.bytes(kpg::Problem{{{"M", 6}}, "f32"}), kpg::InvalidInput);
}

TEST_F(LibraryApi, WithoutADriverEveryGpuCallIsNoDeviceErrorInOneLine) {
  auto op = kpg::Operation::open("rows", options());
  const kpg::Problem p{{{"M", 6}, {"N", 100}, {"SHIFT", 0}}, "f32"};
  for (const auto& call : std::vector<std::function<void()>>{
           [&] { op.config(p); }, [&] { op.prepare(p); }, [&] { op.verify(p); }, [&] { op.tune(p); },
           [&] { op.launch(p, {{"x", 16}, {"b", 32}, {"y", 48}, {"stats", 64}}, nullptr); },
           [] { kpg::device_info(); }, [] { kpg::time([](CUstream) {}, nullptr); },
           [] { kpg::same_bytes_copy(1 << 20, 1 << 20, nullptr); }}) {
    try {
      call();
      ADD_FAILURE() << "no error without a driver";
    } catch (const kpg::NoDeviceError& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("no CUDA driver"), std::string::npos) << what;
      EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    }
  }
}

TEST_F(LibraryApi, UsingAnOpWritesNothingAnywhere) {
  // Home, XDG cache and kpg cache all inside one folder that must stay empty.
  const auto home = dir_.path() / "home";
  std::filesystem::create_directories(home);
  ScopedEnv h("HOME", home.string()), x("XDG_CACHE_HOME", (home / "xdg").string()),
      c("KPG_CACHE_DIR", (home / "kpg-cache").string()), k("KPG_KERNELS_DIR", (dir_.path() / "data" / "kernels").string()),
      d("KPG_CONFIGS_DIR", configs_.string());
  const auto data_before = files_under(dir_.path() / "data");
  {
    auto op = kpg::Operation::open("rows", {});
    const kpg::Problem p = op.problem_for({{6, 100}, {100}}, "f16");
    op.buffers(p);
    op.bytes(p);
    EXPECT_THROW(op.config(p), kpg::NoDeviceError);
    EXPECT_THROW(op.prepare(p), kpg::NoDeviceError);
  }
  EXPECT_TRUE(files_under(home).empty());
  EXPECT_TRUE(std::filesystem::is_empty(home));
  EXPECT_EQ(files_under(dir_.path() / "data"), data_before);
}

TEST_F(LibraryApi, DataFoldersComeFromTheOptionThenTheEnvironment) {
  EXPECT_EQ(library_kernels_dir("/opt/k"), "/opt/k");
  {
    ScopedEnv k("KPG_KERNELS_DIR", "/srv/kernels"), c("KPG_CONFIGS_DIR", "/srv/configs");
    EXPECT_EQ(library_kernels_dir(""), "/srv/kernels");
    EXPECT_EQ(library_configs_dir(""), "/srv/configs");
    EXPECT_EQ(library_configs_dir("/opt/c"), "/opt/c");
  }
  ScopedEnv c("KPG_CACHE_DIR", "/srv/cache");
  EXPECT_EQ(library_cache_dir(""), "/srv/cache");
  EXPECT_EQ(library_cache_dir("/opt/cache"), "/opt/cache");
}

TEST(NvidiaDriverVersion, ReadFromProcTextOfEitherKernelModule) {
  EXPECT_EQ(parse_nvidia_driver_version("NVRM version: NVIDIA UNIX x86_64 Kernel Module  580.95.05  Tue Sep 23 "
                                        "09:55:41 UTC 2025\nGCC version:  gcc version 13.3.0\n"),
            "580.95.05");
  EXPECT_EQ(parse_nvidia_driver_version("NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  570.133.20  "
                                        "Release Build  (dvs-builder@U16-I3-B03-4-3)\n"),
            "570.133.20");
  EXPECT_EQ(parse_nvidia_driver_version("GCC version: gcc 12.2\n"), "");
  EXPECT_EQ(parse_nvidia_driver_version(""), "");
}

}  // namespace
}  // namespace kpg::testing
