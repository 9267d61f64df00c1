// kpg under `mpirun -n 2` without a GPU: `kpg compile --all` and `kpg cache merge` sharded
// over two ranks give what one process gives. A kpg built without MPI refuses to run as a
// rank; in CI (CI set) the MPI runs must not be skipped, so a build without MPI fails there.

#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <regex>

#include "cli_test_support.hpp"
#include "tests/cache_test_support.hpp"

namespace fs = std::filesystem;

namespace kpg {
namespace {

using test::Child;

const fs::path kData = fs::path(KPG_TEST_SOURCE_DIR) / "data";

[[maybe_unused]] bool in_ci() {
  const char* ci = std::getenv("CI");
  return ci && *ci && std::string(ci) != "0" && std::string(ci) != "false";
}

using testing::files_under;
using testing::timed_record;

CacheKey key_on(const std::string& device) { return testing::tiny_key_on(device); }

class MpiRanks : public ::testing::Test {
 protected:
  void SetUp() override {
#ifndef KPG_TEST_MPIEXEC
    if (in_ci()) FAIL() << "CI must build kpg with MPI (scripts/test.sh installs openmpi-bin libopenmpi-dev)";
    GTEST_SKIP() << "kpg was built without MPI (install openmpi-bin libopenmpi-dev and reconfigure)";
#endif
  }

  // `kpg args...` in one process (ranks == 0) or under `mpirun -n ranks`; output in `out`.
  int run([[maybe_unused]] int ranks, std::vector<std::string> args, const fs::path& cache) {
    args.insert(args.begin(), KPG_TEST_KPG_BINARY);
#ifdef KPG_TEST_MPIEXEC
    if (ranks > 0)
      args.insert(args.begin(), {KPG_TEST_MPIEXEC, "-n", std::to_string(ranks), "--oversubscribe"});
#endif
    Child child(args, {{"KPG_CACHE_DIR", cache.string()},
                       {"KPG_DRIVER_LIBRARY", "/nonexistent/libcuda.so.1"},
                       {"KPG_LOG", "warn"},
                       // Containers and CI run as root; Open MPI refuses that unless told.
                       {"OMPI_ALLOW_RUN_AS_ROOT", "1"},
                       {"OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1"},
                       // The MPI library's own allocations outlive MPI_Finalize: not kpg's leaks.
                       // Full unwinding names the library even when the leak's own frames
                       // are in an MCA component it has unloaded.
                       {"LSAN_OPTIONS", "suppressions=" + (kData / "lsan_mpi.supp").string() +
                                            ":print_suppressions=0:fast_unwind_on_malloc=0"}});
    const int status = child.finish(0, std::chrono::seconds(240));
    out = child.output();
    return status;
  }

  test::TempDir dir_;
  std::string out;
};

// A configs folder with a compiling op and one whose grid has compile failures.
fs::path small_configs(const fs::path& dir) {
  fs::create_directories(dir);
  for (const char* file : {"slowed.yaml", "slowed.cu", "test_op_common.cuh", "picky.yaml", "picky.cu"})
    fs::copy_file(kData / file, dir / file);
  return dir;
}

// The report without what differs from run to run: seconds, the rank count and what
// mpirun adds after it (its note on the exit code).
std::string without_times(const std::string& text) {
  static const std::regex seconds(R"(, [0-9]+\.[0-9] s\n)"), ranks(R"( on [0-9]+ MPI ranks)");
  const std::string report = text.substr(0, text.find("\n", text.find(" unique compiles, ")) + 1);
  return std::regex_replace(std::regex_replace(report, seconds, "\n"), ranks, "");
}

TEST_F(MpiRanks, CompileAllOnTwoRanksReportsWhatOneProcessReports) {
  const fs::path configs = small_configs(dir_.path() / "configs");
  const std::vector<std::string> args{"compile", "--all", "--configs-dir", configs.string(), "--jobs", "1"};
  EXPECT_EQ(run(0, args, dir_.path() / "cache-1"), 2) << out;  // picky fails to compile, on purpose
  const std::string one = out;
  EXPECT_EQ(run(2, args, dir_.path() / "cache-2"), 2) << out;
  const std::string two = out;
  EXPECT_NE(two.find("on 2 MPI ranks"), std::string::npos) << two;
  EXPECT_EQ(test::count(two, "FAILED picky/picky:BAD=1 "), 1) << two;
  EXPECT_EQ(test::count(two, "FAILED picky/picky:BAD=4 "), 1) << two;
  EXPECT_NE(two.find("15 unique compiles, 2 failure(s)"), std::string::npos) << two;
  EXPECT_EQ(without_times(two), without_times(one));
  // Both ranks compiled: the cubin cache holds every compile that succeeded, as one process's does.
  EXPECT_EQ(files_under(dir_.path() / "cache-2" / "cubin").size(), files_under(dir_.path() / "cache-1" / "cubin").size());
}

TEST_F(MpiRanks, CacheMergeOnTwoRanksGivesTheCacheOneProcessGives) {
  std::vector<std::string> paths;
  for (int task = 0; task < 3; ++task) {
    const fs::path path = dir_.path() / "array" / ("task-" + std::to_string(task));
    TuningCache cache(path);
    const std::string day = "2026-01-0" + std::to_string(task + 1) + "T00:00:00Z";
    cache.append(key_on("H100|sm_90|132"), {timed_record("a", 1.0 + task, day), timed_record("t" + std::to_string(task), 2.0, day)});
    if (task == 1) cache.append(key_on("H200|sm_90|132"), timed_record("a", 0.5, day));
    paths.push_back(path.string());
  }
  const auto inputs = files_under(dir_.path() / "array");
  std::vector<std::string> args{"cache", "merge"};
  args.insert(args.end(), paths.begin(), paths.end());

  ASSERT_EQ(run(0, args, dir_.path() / "one"), 0) << out;
  const std::string one = std::regex_replace(out, std::regex((dir_.path() / "one").string()), "CACHE");
  ASSERT_EQ(run(2, args, dir_.path() / "two"), 0) << out;
  const std::string two = std::regex_replace(out, std::regex((dir_.path() / "two").string()), "CACHE");
  EXPECT_EQ(two, one);
  EXPECT_NE(two.find("merged 7 record(s) of 4 file(s)"), std::string::npos) << two;
  const auto merged = files_under(dir_.path() / "two" / "tuning");
  EXPECT_EQ(merged, files_under(dir_.path() / "one" / "tuning"));
  EXPECT_EQ(merged.count(".lock"), 1u);
  EXPECT_EQ(merged.size(), 3u) << "two cards: two files, and the lock";
  EXPECT_EQ(files_under(dir_.path() / "array"), inputs);

  // A bad path: every rank stops, nothing is merged, exit 2.
  args.push_back((dir_.path() / "missing").string());
  EXPECT_EQ(run(2, args, dir_.path() / "bad"), 2) << out;
  EXPECT_NE(out.find("missing: no such file or folder"), std::string::npos) << out;
  EXPECT_TRUE(files_under(dir_.path() / "bad" / "tuning").empty());
}

// Without MPI, kpg started by a launcher says so rather than running N copies of itself.
TEST(MpiAbsent, ALauncherIsRefusedWithTheReason) {
#ifdef KPG_TEST_MPIEXEC
  GTEST_SKIP() << "this kpg is built with MPI";
#else
  test::TempDir dir;
  Child child({KPG_TEST_KPG_BINARY, "compile", "--all"},
              {{"OMPI_COMM_WORLD_SIZE", "2"}, {"KPG_CACHE_DIR", (dir.path() / "cache").string()}});
  EXPECT_EQ(child.finish(), 2) << child.output();
  EXPECT_NE(child.output().find("this kpg was built without MPI"), std::string::npos) << child.output();
#endif
}

}  // namespace
}  // namespace kpg
