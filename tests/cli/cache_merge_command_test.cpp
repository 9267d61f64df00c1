// `kpg cache merge` as a user runs it (the built binary, no GPU): caches of other hosts or
// job-array tasks merged into KPG_CACHE_DIR, idempotently, without touching the inputs,
// and exit 2 with nothing written for a path that is not a kpg cache.

#include <gtest/gtest.h>

#include <map>

#include "cli_test_support.hpp"
#include "tests/cache_test_support.hpp"

namespace fs = std::filesystem;

namespace kpg {
namespace {

using test::Child;

using testing::files_under;
using testing::timed_record;

CacheKey key_on(const std::string& device) { return testing::tiny_key_on(device); }

class CacheMergeCommand : public ::testing::Test {
 protected:
  int kpg(std::vector<std::string> args) {
    args.insert(args.begin(), KPG_TEST_KPG_BINARY);
    Child child(args, {{"KPG_CACHE_DIR", cache().string()},
                       {"KPG_DRIVER_LIBRARY", "/nonexistent/libcuda.so.1"},
                       {"KPG_LOG", "warn"}});
    const int status = child.finish();
    out = child.output();
    return status;
  }
  fs::path cache() const { return dir_.path() / "cache"; }
  // Two task caches: the same card (one candidate timed by both, later by task 2) and another card.
  void write_task_caches() {
    TuningCache task1(dir_.path() / "array" / "task-1");
    task1.append(key_on("H100|sm_90|132"), {timed_record("a", 1.0, "2026-01-01T00:00:00Z"), timed_record("b", 2.0, "2026-01-01T00:00:00Z")});
    TuningCache task2(dir_.path() / "array" / "task-2");
    task2.append(key_on("H100|sm_90|132"), {timed_record("b", 1.5, "2026-01-02T00:00:00Z"), timed_record("c", 3.0, "2026-01-01T00:00:00Z")});
    task2.append(key_on("H200|sm_90|132"), timed_record("a", 0.5, "2026-01-01T00:00:00Z"));
  }
  test::TempDir dir_;
  std::string out;
};

TEST_F(CacheMergeCommand, MergesTaskCachesOnceAndLeavesThemAsTheyWere) {
  write_task_caches();
  const auto inputs = files_under(dir_.path() / "array");
  const std::string task1 = (dir_.path() / "array" / "task-1").string();
  const std::string task2 = (dir_.path() / "array" / "task-2").string();
  ASSERT_EQ(kpg({"cache", "merge", task1, task2}), 0) << out;
  EXPECT_NE(out.find("merged 5 record(s) of 3 file(s)"), std::string::npos) << out;
  EXPECT_NE(out.find("4 added or newer than the cache's"), std::string::npos) << out;

  const TuningCache merged(cache());
  std::map<std::string, double> h100;
  for (const auto& r : merged.load(key_on("H100|sm_90|132"))) h100[r.candidate_id] = r.median_ms;
  EXPECT_EQ(h100, (std::map<std::string, double>{{"a", 1.0}, {"b", 1.5}, {"c", 3.0}})) << "the newer b wins";
  ASSERT_EQ(merged.load(key_on("H200|sm_90|132")).size(), 1u) << "another card keeps its own ranking";

  const auto after_first = files_under(cache() / "tuning");
  ASSERT_EQ(kpg({"cache", "merge", task2, task1}), 0) << out;
  EXPECT_NE(out.find("0 added or newer than the cache's, 5 already there or older"), std::string::npos) << out;
  EXPECT_EQ(files_under(cache() / "tuning"), after_first) << "merging twice adds nothing";
  EXPECT_EQ(files_under(dir_.path() / "array"), inputs) << "the inputs are only read";

  ASSERT_EQ(kpg({"cache", "list"}), 0) << out;
  EXPECT_EQ(test::count(out, "tiny"), 2) << out;
}

TEST_F(CacheMergeCommand, APathThatIsNotACacheExitsTwoAndMergesNothing) {
  write_task_caches();
  test::write_in_place(dir_.path() / "notes" / "results.json", "{\"rows\": []}");
  const std::string task1 = (dir_.path() / "array" / "task-1").string();
  EXPECT_EQ(kpg({"cache", "merge", task1, (dir_.path() / "notes").string()}), 2) << out;
  EXPECT_NE(out.find("kpg: error: " + (dir_.path() / "notes").string() + " is not a kpg cache"), std::string::npos) << out;
  EXPECT_TRUE(files_under(cache() / "tuning").empty()) << "nothing half-merged from the good path";

  EXPECT_EQ(kpg({"cache", "merge", (dir_.path() / "missing").string()}), 2) << out;
  EXPECT_NE(out.find("no such file or folder"), std::string::npos) << out;
  EXPECT_EQ(kpg({"cache", "merge"}), 2) << out;  // at least one path
}

}  // namespace
}  // namespace kpg
