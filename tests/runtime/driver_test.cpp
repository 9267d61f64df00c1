// Without a driver kpg must start and say, in one line, what is missing.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "runtime/driver.hpp"
#include "runtime/error.hpp"
#include "test_support.hpp"

namespace kpg {
namespace {

TEST(DriverTest, MissingLibraryGivesOneClearLine) {
  try {
    detail::load_driver("/nonexistent/libcuda.so.1");
    FAIL() << "loaded a driver that does not exist";
  } catch (const NoDriverError& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.rfind("no CUDA driver: /nonexistent/libcuda.so.1 not found (", 0), 0u) << what;
    EXPECT_NE(what.find("GPU commands need an NVIDIA driver"), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << "one line";
  }
}

TEST(DriverTest, LibraryWithoutTheDriverApiIsRejected) {
  try {
    detail::load_driver("libm.so.6");
    FAIL() << "libm accepted as the CUDA driver";
  } catch (const NoDriverError& e) {
    EXPECT_NE(std::string(e.what()).find("lacks cuInit"), std::string::npos) << e.what();
  }
}

TEST(DriverTest, EnvironmentOverridesTheLibrary) {
  const testing::ScopedEnv env("KPG_DRIVER_LIBRARY", "/elsewhere/libcuda.so.1");
  EXPECT_EQ(detail::driver_library_name(), "/elsewhere/libcuda.so.1");
}

// driver() caches its one load per process, so the override is exercised in a child process.
TEST(DriverTest, DriverAndDriverAvailableReportTheMissingLibrary) {
  if (detail::driver_load_attempted()) {
    GTEST_SKIP() << "this process already loaded the driver; ctest runs each test in a fresh process";
  }
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(fds[0]);
    ::setenv("KPG_DRIVER_LIBRARY", "/nonexistent/libcuda.so.1", 1);
    std::string report;
    std::string reason;
    report += driver_available(&reason) ? "available|" : "unavailable|" + reason + "|";
    try {
      driver();
      report += "no-throw";
    } catch (const NoDriverError& e) {
      report += e.what();
    }
    [[maybe_unused]] const auto n = ::write(fds[1], report.data(), report.size());
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string report;
  char buf[512];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) report.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_EQ(report.rfind("unavailable|no CUDA driver: /nonexistent/libcuda.so.1 not found", 0), 0u) << report;
  EXPECT_NE(report.find("|no CUDA driver: /nonexistent/libcuda.so.1 not found"), std::string::npos) << report;
}

}  // namespace
}  // namespace kpg
