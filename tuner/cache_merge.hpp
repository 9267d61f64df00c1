#pragma once
// Tuning caches made elsewhere (other hosts, the tasks of a job array, the partial caches
// of MPI ranks), read without touching them and merged into this one: the tuning cache is
// the merge point. The rules are TuningCache::merge's: one record per candidate and key
// (different cards have different keys), the newer one wins, merging again adds nothing.

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "tuner/tuning_cache.hpp"

namespace kpg {

// Records by tuning-cache key, as files hold them.
using KeyedRecords = std::vector<std::pair<CacheKey, std::vector<TuneRecord>>>;

// What was found at one path.
struct CacheSource {
  std::filesystem::path path;
  KeyedRecords files;                // one entry per intact tuning-cache file
  std::vector<std::string> damaged;  // "<file>: <why>", skipped
  size_t foreign = 0;                // other .json files, ignored
};

// Reads every tuning-cache file at `path`: one file, or a folder searched recursively (a
// cache folder, its tuning/ folder, one op's folder, a folder of job outputs). Reads only:
// nothing there is locked, moved or written. Throws InputError when the path does not
// exist, is a file that is not an intact kpg tuning-cache file, or is a folder without one.
CacheSource read_cache_source(const std::filesystem::path& path);

// The records of several sources, one entry per key, the newest record per candidate.
KeyedRecords combine(const std::vector<KeyedRecords>& sources);

struct MergeTally {
  size_t keys = 0;     // tuning-cache files merged
  size_t records = 0;  // records offered
  size_t changed = 0;  // added or newer than the cache's
};

// TuningCache::merge of every key's records, each under the cache's lock.
MergeTally merge_into(TuningCache& cache, const KeyedRecords& records);

// Records as text, one "<key JSON>\t<record JSON>" line each, to send between processes.
std::string encode_keyed_records(const KeyedRecords& records);
// The inverse; throws Error on a malformed line.
KeyedRecords decode_keyed_records(const std::string& text);

}  // namespace kpg
