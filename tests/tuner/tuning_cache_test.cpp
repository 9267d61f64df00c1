// The tuning cache: keys (each part matters), per-candidate records, concurrent writers
// in separate processes, kill -9 during writes, damaged files, list/clear, bad folders.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <set>
#include <thread>

#include "tests/tuner/tuner_test_support.hpp"
#include "tuner/tuning_cache.hpp"

namespace kpg {
namespace {

CacheKey sample_key() {
  return CacheKey{"tiny", "abc123", "NVIDIA H100 80GB HBM3|sm_90|132", "13000", "13000", "M<=64,N=300,dtype=f32", "fused"};
}

TuneRecord ok_record(const std::string& id, double ms) {
  TuneRecord r;
  r.candidate_id = id;
  r.params = {{"X", static_cast<int64_t>(ms * 1000)}};
  r.variant = "fused";
  r.ok = true;
  r.median_ms = ms;
  r.min_ms = ms * 0.98;
  r.spread_pct = 1.5;
  r.reps = 100;
  r.timestamp = "2026-01-01T00:00:00Z";
  return r;
}

TEST(CacheKey, EveryPartChangesTheFile) {
  const CacheKey base = sample_key();
  std::set<std::string> stems{base.file_stem()};
  std::string CacheKey::*fields[] = {&CacheKey::op, &CacheKey::source_hash, &CacheKey::device, &CacheKey::driver_version,
                                     &CacheKey::nvrtc_version, &CacheKey::shape_key, &CacheKey::variant,
                                     &CacheKey::timing};
  for (auto field : fields) {
    CacheKey k = base;
    k.*field += "x";
    EXPECT_TRUE(stems.insert(k.file_stem()).second) << k.*field;
  }
  EXPECT_EQ(base.file_stem(), sample_key().file_stem());  // stable
  EXPECT_EQ(base.file_stem().rfind("fused-", 0), 0u);
}

TEST(CacheKey, RecordsOfOneKeyAreNotSeenFromAnother) {
  test::TempDir dir;
  TuningCache cache(dir.path());
  std::string CacheKey::*fields[] = {&CacheKey::op, &CacheKey::source_hash, &CacheKey::device, &CacheKey::driver_version,
                                     &CacheKey::nvrtc_version, &CacheKey::shape_key, &CacheKey::variant,
                                     &CacheKey::timing};
  cache.append(sample_key(), ok_record("a", 1.0));
  for (auto field : fields) {
    CacheKey k = sample_key();
    k.*field += "x";
    EXPECT_TRUE(cache.load(k).empty()) << k.*field;
  }
  EXPECT_EQ(cache.load(sample_key()).size(), 1u);
}

TEST(ShapeKey, AppliesThePolicyPerDimAndIncludesTheDtype) {
  test::TempDir dir;
  const OpConfig c = test::load_yaml(dir, test::kTinyYaml);  // cache_key: {M: pow2}
  EXPECT_EQ(shape_key(c, Shape{{{"M", 100}, {"N", 300}}, DType::f32}), "M<=128,N=300,dtype=f32");
  EXPECT_EQ(shape_key(c, Shape{{{"M", 128}, {"N", 300}}, DType::f32}), "M<=128,N=300,dtype=f32");
  EXPECT_EQ(shape_key(c, Shape{{{"M", 129}, {"N", 300}}, DType::f32}), "M<=256,N=300,dtype=f32");
  EXPECT_EQ(shape_key(c, Shape{{{"M", 100}, {"N", 301}}, DType::f32}), "M<=128,N=301,dtype=f32");
  EXPECT_EQ(shape_key(c, Shape{{{"M", 100}, {"N", 300}}, DType::f16}), "M<=128,N=300,dtype=f16");
  const auto parsed = parse_shape_key("M<=128,N=301,dtype=f16");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->dims, (std::map<std::string, int64_t>{{"M", 128}, {"N", 301}}));
  EXPECT_EQ(parsed->dtype, DType::f16);
  EXPECT_FALSE(parse_shape_key("M=1"));
  EXPECT_FALSE(parse_shape_key("M=x,dtype=f32"));
  EXPECT_EQ(parse_shape_key("CAUSAL=0,N=64,dtype=f16")->dims.at("CAUSAL"), 0);
  EXPECT_FALSE(parse_shape_key("N=-1,dtype=f16"));
}

TEST(TuningCache, RoundTripsEveryFieldAndReplacesByCandidate) {
  test::TempDir dir;
  TuningCache cache(dir.path());
  EXPECT_TRUE(cache.load(sample_key()).empty());
  TuneRecord failed;
  failed.candidate_id = "warp:VEC=8";
  failed.params = {{"VEC", 8}};
  failed.variant = "fused";
  failed.failure = "compile error: too many registers";
  failed.timestamp = "2026-01-01T00:00:01Z";
  cache.append(sample_key(), ok_record("warp:VEC=1", 0.5));
  cache.append(sample_key(), failed);
  auto records = cache.load(sample_key());
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0], ok_record("warp:VEC=1", 0.5));
  EXPECT_EQ(records[1], failed);

  cache.append(sample_key(), ok_record("warp:VEC=1", 0.25));  // re-timed: replaces
  records = cache.load(sample_key());
  ASSERT_EQ(records.size(), 2u);
  EXPECT_DOUBLE_EQ(records[0].median_ms, 0.25);

  // The file carries a header naming what was tuned.
  std::ifstream in(cache.file_for(sample_key()));
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (const char* part : {"\"op\": \"tiny\"", "\"device\": \"NVIDIA H100 80GB HBM3|sm_90|132\"", "\"shape\": \"M<=64,N=300,dtype=f32\"",
                           "\"records_sha256\""})
    EXPECT_NE(text.find(part), std::string::npos) << part;
}

// Children append concurrently; every record of every child must be in the file.
TEST(TuningCache, ConcurrentProcessesLoseNoRecord) {
  test::TempDir dir;
  constexpr int kChildren = 4, kPerChild = 40;
  std::vector<pid_t> children;
  for (int c = 0; c < kChildren; ++c) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      int status = 0;
      try {
        TuningCache cache(dir.path());
        for (int i = 0; i < kPerChild; ++i)
          cache.append(sample_key(), ok_record("c" + std::to_string(c) + "-" + std::to_string(i), 1.0 + i));
      } catch (...) {
        status = 1;
      }
      _exit(status);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  TuningCache cache(dir.path());
  const auto records = cache.load(sample_key());
  std::set<std::string> ids;
  for (const auto& r : records) ids.insert(r.candidate_id);
  EXPECT_EQ(ids.size(), static_cast<size_t>(kChildren * kPerChild));
  EXPECT_FALSE(std::filesystem::exists(cache.file_for(sample_key()).string() + ".corrupt"));
}

TEST(TuningCache, ConcurrentThreadsLoseNoRecord) {
  test::TempDir dir;
  TuningCache cache(dir.path());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) cache.append(sample_key(), ok_record("t" + std::to_string(t) + "-" + std::to_string(i), 1));
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(cache.load(sample_key()).size(), 100u);
}

// A writer killed with SIGKILL at arbitrary moments leaves a complete file holding every
// record it had finished writing.
TEST(TuningCache, KillNineDuringWritesLeavesAReadableFile) {
  test::TempDir dir;
  TuningCache cache(dir.path());
  for (int round = 0; round < 5; ++round) {
    int ready[2];
    ASSERT_EQ(pipe(ready), 0);
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      TuningCache child(dir.path());
      child.append(sample_key(), ok_record("r" + std::to_string(round) + "-0", 1));
      const char one = 1;
      if (write(ready[1], &one, 1) != 1) _exit(1);  // the first record is on disk
      for (int i = 1;; ++i) child.append(sample_key(), ok_record("r" + std::to_string(round) + "-" + std::to_string(i), 1));
    }
    char got = 0;
    ASSERT_EQ(read(ready[0], &got, 1), 1);
    close(ready[0]);
    close(ready[1]);
    std::this_thread::sleep_for(std::chrono::milliseconds(5 + 7 * round));  // kill somewhere mid-stream
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    const auto records = cache.load(sample_key());
    EXPECT_FALSE(std::filesystem::exists(cache.file_for(sample_key()).string() + ".corrupt")) << "round " << round;
    // Every round's first record survives: it was on disk before its writer was killed.
    std::set<std::string> ids;
    for (const auto& r : records) ids.insert(r.candidate_id);
    for (int k = 0; k <= round; ++k) EXPECT_TRUE(ids.count("r" + std::to_string(k) + "-0")) << "round " << round;
  }
  cache.append(sample_key(), ok_record("after", 1));  // and writing goes on (stale temp files removed)
  EXPECT_TRUE(cache.load(sample_key()).size() > 1);
  for (const auto& entry : std::filesystem::directory_iterator(cache.file_for(sample_key()).parent_path()))
    EXPECT_EQ(entry.path().filename().string().find(".tmp."), std::string::npos) << entry.path();
}

void damage_and_check(const std::function<std::string(const std::string&)>& damage) {
  test::TempDir dir;
  TuningCache cache(dir.path());
  cache.append(sample_key(), ok_record("a", 1));
  cache.append(sample_key(), ok_record("b", 2));
  const auto file = cache.file_for(sample_key());
  std::string text;
  {
    std::ifstream in(file);
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  std::ofstream(file, std::ios::trunc) << damage(text);

  EXPECT_TRUE(cache.load(sample_key()).empty());  // never trusted, never fatal
  EXPECT_TRUE(std::filesystem::exists(file.string() + ".corrupt"));
  EXPECT_FALSE(std::filesystem::exists(file));
  cache.append(sample_key(), ok_record("c", 3));  // rebuilt from scratch
  const auto records = cache.load(sample_key());
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].candidate_id, "c");
}

TEST(TuningCache, TruncatedFileIsMovedAsideAndRebuilt) {
  damage_and_check([](const std::string& text) { return text.substr(0, text.size() / 2); });
}

TEST(TuningCache, AlteredRecordFailsTheChecksum) {
  damage_and_check([](const std::string& text) {
    std::string t = text;
    const size_t at = t.find("\"median_ms\": 2");
    t.replace(at, 14, "\"median_ms\": 9");
    return t;
  });
}

TEST(TuningCache, GarbageAndEmptyFilesAreDamaged) {
  damage_and_check([](const std::string&) { return std::string("\x00\x01garbage", 9); });
  damage_and_check([](const std::string&) { return std::string(); });
  damage_and_check([](const std::string&) { return std::string("{\"format\": \"kpg-tuning-cache\", \"version\": 1}"); });
}

TEST(TuningCache, DamagedFileFoundByAppendIsRebuiltToo) {
  test::TempDir dir;
  TuningCache cache(dir.path());
  cache.append(sample_key(), ok_record("a", 1));
  std::ofstream(cache.file_for(sample_key()), std::ios::trunc) << "{\"truncated";
  cache.append(sample_key(), ok_record("b", 2));
  const auto records = cache.load(sample_key());
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].candidate_id, "b");
}

TEST(TuningCache, ListAndClearPerOp) {
  test::TempDir dir;
  TuningCache cache(dir.path());
  CacheKey a = sample_key(), b = sample_key(), other = sample_key();
  b.shape_key = "M<=128,N=300,dtype=f32";
  other.op = "other";
  cache.append(a, ok_record("x", 1));
  cache.append(b, {ok_record("x", 1), ok_record("y", 2)});
  cache.append(other, ok_record("z", 3));

  const auto tiny = cache.list("tiny");
  ASSERT_EQ(tiny.size(), 2u);
  size_t records = 0;
  for (const auto& [key, recs] : tiny) {
    EXPECT_EQ(key.op, "tiny");
    EXPECT_TRUE(key == a || key == b);
    records += recs.size();
  }
  EXPECT_EQ(records, 3u);
  EXPECT_EQ(cache.list().size(), 3u);
  EXPECT_TRUE(cache.list("absent").empty());

  EXPECT_EQ(cache.clear("tiny"), 2u);
  EXPECT_TRUE(cache.list("tiny").empty());
  EXPECT_EQ(cache.load(other).size(), 1u);  // other ops untouched
  EXPECT_EQ(cache.clear(), 1u);
  EXPECT_TRUE(cache.list().empty());
  cache.append(a, ok_record("x", 1));  // usable after clearing
  EXPECT_EQ(cache.load(a).size(), 1u);
}

TEST(TuningCache, UnwritableDirectoryIsAClearInputError) {
  test::TempDir dir;
  const auto file = test::write_file(dir.path() / "a-file", "not a folder");
  try {
    TuningCache cache(file / "cache");
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot create the tuning cache directory"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("KPG_CACHE_DIR"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace kpg
