#pragma once
// Helpers of the tests on tuning caches (tests/tuner, tests/cli): a key of the small op on
// a given card, a timed record, and every file of a folder with its content.

#include <filesystem>
#include <map>
#include <string>

#include "tests/shared_test_support.hpp"
#include "tuner/tuning_cache.hpp"

namespace kpg::testing {

inline CacheKey tiny_key_on(const std::string& device, const std::string& shape = "N=300,dtype=f32") {
  return CacheKey{"tiny", "abc123", device, "13000", "13000", shape, "fused"};
}

// A record of candidate `id` that passed, measured at `when` (ISO 8601, UTC).
inline TuneRecord timed_record(const std::string& id, double ms, const std::string& when) {
  TuneRecord r;
  r.candidate_id = id;
  r.params = {{"X", 1}};
  r.variant = "fused";
  r.ok = true;
  r.median_ms = ms;
  r.min_ms = ms;
  r.reps = 10;
  r.timestamp = when;
  return r;
}

// Every regular file under `dir` (relative path) with its content; empty when there is none.
inline std::map<std::string, std::string> files_under(const std::filesystem::path& dir) {
  std::map<std::string, std::string> out;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec))
    if (it->is_regular_file()) out[std::filesystem::relative(it->path(), dir).string()] = read_text(it->path());
  return out;
}

}  // namespace kpg::testing
