// Tuning caches made elsewhere merged into this one: newer records win, merging again adds
// nothing, cards stay keyed apart, inputs are only read (even damaged ones), bad paths are
// refused, concurrent mergers lose nothing, and records survive the trip through text.

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>

#include "tests/cache_test_support.hpp"
#include "tests/tuner/tuner_test_support.hpp"
#include "tuner/cache_merge.hpp"

namespace fs = std::filesystem;

namespace kpg {
namespace {

using testing::timed_record;

const CacheKey kH100 = testing::tiny_key_on("NVIDIA H100 80GB HBM3|sm_90|132", "M<=64,N=300,dtype=f32");
const CacheKey kH200 = testing::tiny_key_on("NVIDIA H200|sm_90|132", "M<=64,N=300,dtype=f32");

std::map<std::string, TuneRecord> by_id(const std::vector<TuneRecord>& records) {
  std::map<std::string, TuneRecord> out;
  for (const auto& r : records) out[r.candidate_id] = r;
  return out;
}

// Every entry under `dir`: path -> content and modification time, to show nothing changed.
std::map<std::string, std::string> snapshot(const fs::path& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    struct stat st {};
    ::lstat(e.path().c_str(), &st);
    out[e.path().string()] = (e.is_regular_file() ? testing::read_text(e.path()) : std::string("<dir>")) + "@" +
                             std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
  }
  return out;
}

TEST(TuningCacheMerge, TakesNewAndNewerRecordsAndNothingTheSecondTime) {
  test::TempDir dir;
  TuningCache cache(dir.path());
  cache.append(kH100, {timed_record("a", 1.0, "2026-01-02T00:00:00Z"), timed_record("b", 2.0, "2026-01-02T00:00:00Z")});
  const std::vector<TuneRecord> incoming{timed_record("a", 0.9, "2026-01-03T00:00:00Z"),   // newer: replaces
                                         timed_record("b", 1.5, "2026-01-01T00:00:00Z"),   // older: ignored
                                         timed_record("b", 1.7, "2026-01-02T00:00:00Z"),   // same time: ignored
                                         timed_record("c", 3.0, "2026-01-01T00:00:00Z")};  // new: added
  EXPECT_EQ(cache.merge(kH100, incoming), 2u);
  auto records = by_id(cache.load(kH100));
  ASSERT_EQ(records.size(), 3u);
  EXPECT_DOUBLE_EQ(records["a"].median_ms, 0.9);
  EXPECT_DOUBLE_EQ(records["b"].median_ms, 2.0);
  EXPECT_DOUBLE_EQ(records["c"].median_ms, 3.0);

  const auto before = snapshot(dir.path() / "tuning");
  EXPECT_EQ(cache.merge(kH100, incoming), 0u);
  EXPECT_EQ(snapshot(dir.path() / "tuning"), before) << "an idempotent merge does not even rewrite the file";
}

TEST(TuningCacheMerge, CardsStayKeyedApart) {
  test::TempDir dir;
  TuningCache cache(dir.path());
  const MergeTally tally = merge_into(
      cache, {{kH100, {timed_record("a", 1.0, "2026-01-01T00:00:00Z")}}, {kH200, {timed_record("a", 0.5, "2026-01-01T00:00:00Z")}}});
  EXPECT_EQ(tally.keys, 2u);
  EXPECT_EQ(tally.changed, 2u);
  EXPECT_NE(cache.file_for(kH100), cache.file_for(kH200));
  EXPECT_DOUBLE_EQ(cache.load(kH100).at(0).median_ms, 1.0);
  EXPECT_DOUBLE_EQ(cache.load(kH200).at(0).median_ms, 0.5);
}

TEST(CacheSource, ReadsAFolderRecursivelyWithoutTouchingItEvenWhenAFileIsDamaged) {
  test::TempDir dir;
  const fs::path job = dir.path() / "array" / "task-3" / "cache";
  {
    TuningCache cache(job);
    cache.append(kH100, timed_record("a", 1.0, "2026-01-01T00:00:00Z"));
    cache.append(kH200, {timed_record("a", 0.5, "2026-01-01T00:00:00Z"), timed_record("b", 0.7, "2026-01-01T00:00:00Z")});
  }
  // A damaged kpg file (the cache itself would move it aside) and someone else's JSON.
  test::write_file(job / "tuning" / "tiny" / "fused-0000000000000000.json", "{\"format\": \"kpg-tuning-cache\", \"vers");
  test::write_file(dir.path() / "array" / "task-3" / "results.json", "{\"rows\": []}");
  const auto before = snapshot(dir.path());

  const CacheSource source = read_cache_source(dir.path() / "array");
  EXPECT_EQ(source.files.size(), 2u);
  size_t records = 0;
  for (const auto& [key, list] : source.files) records += list.size();
  EXPECT_EQ(records, 3u);
  ASSERT_EQ(source.damaged.size(), 1u);
  EXPECT_NE(source.damaged[0].find("fused-0000000000000000.json"), std::string::npos) << source.damaged[0];
  EXPECT_EQ(source.foreign, 1u);
  EXPECT_EQ(snapshot(dir.path()), before) << "nothing moved aside, locked or written in the input";

  // One op's folder and one file are caches too.
  EXPECT_EQ(read_cache_source(job / "tuning" / "tiny").files.size(), 2u);
  const CacheSource one = read_cache_source(TuningCache(job).file_for(kH100));
  ASSERT_EQ(one.files.size(), 1u);
  EXPECT_EQ(one.files[0].first, kH100);
}

TEST(CacheSource, RefusesPathsThatAreNotKpgCaches) {
  test::TempDir dir;
  const auto message = [](const fs::path& p) {
    try {
      read_cache_source(p);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message(dir.path() / "missing").find("no such file or folder"), std::string::npos);
  fs::create_directories(dir.path() / "empty");
  EXPECT_NE(message(dir.path() / "empty").find("is not a kpg cache"), std::string::npos);
  test::write_file(dir.path() / "other" / "x.json", "[1, 2]");
  EXPECT_NE(message(dir.path() / "other").find("is not a kpg cache"), std::string::npos);
  EXPECT_NE(message(dir.path() / "other" / "x.json").find("is not a kpg tuning-cache file"), std::string::npos);
  test::write_file(dir.path() / "notes.txt", "hello");
  EXPECT_NE(message(dir.path() / "notes.txt").find("is not a kpg tuning-cache file"), std::string::npos);
  test::write_file(dir.path() / "cut.json", "{\"format\": \"kpg-tuning-cache\", \"vers");
  EXPECT_NE(message(dir.path() / "cut.json").find("is a damaged kpg tuning-cache file"), std::string::npos);
}

TEST(KeyedRecords, TravelAsTextAndCombineToTheNewestPerCandidate) {
  const KeyedRecords records{{kH100, {timed_record("a", 1.0, "2026-01-01T00:00:00Z"), timed_record("b", 2.0, "2026-01-01T00:00:00Z")}},
                             {kH200, {timed_record("a", 0.5, "2026-01-01T00:00:00Z")}}};
  EXPECT_EQ(decode_keyed_records(encode_keyed_records(records)), records);
  EXPECT_THROW(decode_keyed_records("not a record line\n"), Error);

  const KeyedRecords later{{kH100, {timed_record("a", 0.8, "2026-01-05T00:00:00Z"), timed_record("b", 9.0, "2026-01-01T00:00:00Z")}}};
  const KeyedRecords combined = combine({records, later});
  ASSERT_EQ(combined.size(), 2u);
  auto h100 = by_id(combined[0].second);
  EXPECT_DOUBLE_EQ(h100["a"].median_ms, 0.8);  // newer
  EXPECT_DOUBLE_EQ(h100["b"].median_ms, 2.0);  // same time: the first one read stays
}

// Processes merging into one cache at once (job-array tasks finishing together) lose nothing.
TEST(TuningCacheMerge, ConcurrentMergersLoseNoRecord) {
  test::TempDir dir;
  constexpr int kChildren = 4, kPerChild = 25;
  std::vector<pid_t> children;
  for (int c = 0; c < kChildren; ++c) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      TuningCache cache(dir.path());
      for (int i = 0; i < kPerChild; ++i)
        cache.merge(kH100, {timed_record("c" + std::to_string(c) + "-" + std::to_string(i), 1.0, "2026-01-01T00:00:00Z")});
      _exit(0);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  EXPECT_EQ(TuningCache(dir.path()).load(kH100).size(), static_cast<size_t>(kChildren * kPerChild));
}

}  // namespace
}  // namespace kpg
