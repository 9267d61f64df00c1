#pragma once
// The tuning cache: one JSON file per (op, kernel source, device, driver, NVRTC, shape
// key, variant) under <dir>/tuning/<op>/, holding one record per candidate (its time or
// its failure). The best is derived from the records, so adding a grid value times only
// the new candidate and removing one re-tunes nothing.
//
// Durability: every write takes an exclusive flock on <dir>/tuning/.lock, re-reads the
// file, merges, writes a temp file, fsyncs and renames it over the old one: two
// processes lose no record, and a kill -9 at any moment leaves the old or the new file,
// both complete. A file that does not parse or fails its checksum is moved aside
// (<name>.corrupt), reported once and treated as empty, never fatal.

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tuner/config.hpp"
#include "tuner/scope.hpp"
#include "tuner/timing_method.hpp"

namespace kpg {

struct TuneRecord {
  std::string candidate_id;
  ParamSet params;
  std::string variant;
  bool ok = false;
  double median_ms = 0, min_ms = 0, spread_pct = 0;
  int reps = 0;
  // Why it failed: "compile error: ...", "resources: ...", "wrong result: ...", "fault: ...".
  std::string failure;
  std::string timestamp;  // ISO 8601, UTC
  bool operator==(const TuneRecord&) const = default;
};

struct CacheKey {
  std::string op;
  std::string source_hash;
  std::string device;  // "name|sm_90|132": name, compute capability, SM count
  std::string driver_version, nvrtc_version;
  std::string shape_key;
  std::string variant;
  // How the records were timed, "<method>/<revision>": times of two methods or revisions never meet.
  std::string timing = std::string(kTimingMethod) + "/" + std::to_string(kTimingRevision);
  // "<variant>-<16 hex digits of SHA-256 over every field>": the file's name, stable.
  std::string file_stem() const;
  bool operator==(const CacheKey&) const = default;
};

// The shape as the cache sees it, dims in config order: "M<=4096,N=781,dtype=f32". A
// pow2 dim is rounded up to a power of two and written with "<=" (the bucket's top), an
// exact one with "=", so changing a dim's policy never reuses the other policy's records.
std::string shape_key(const OpConfig& config, const Shape& shape);

// Dims and dtype of a shape key (the inverse of shape_key, bucket tops for pow2 dims).
// nullopt when the text is not a shape key. Dims are >= 0 (a flag such as CAUSAL may be 0).
std::optional<Shape> parse_shape_key(const std::string& key);

// Now, as the records' timestamps are written: ISO 8601, UTC, to the second.
std::string utc_timestamp();

// A key or record as one line of compact JSON (the cache file's encoding) and back; the
// tuning workers report results with them. decode_* throw Error on malformed text.
std::string encode_json(const CacheKey& key);
std::string encode_json(const TuneRecord& record);
CacheKey decode_key_json(const std::string& text);
TuneRecord decode_record_json(const std::string& text);

// What one tuning-cache file holds.
struct CacheFileContents {
  CacheKey key;
  std::vector<TuneRecord> records;
};

// The contents of a tuning-cache file's text, or nullopt with the reason in `why` when it
// is not a complete, intact one (`foreign` set when it is not a kpg tuning-cache file at
// all, rather than a damaged or other-version one).
std::optional<CacheFileContents> decode_cache_file(const std::string& text, std::string& why, bool* foreign = nullptr);

class TuningCache {
 public:
  // Throws InputError when the directory cannot be created or written.
  explicit TuningCache(std::filesystem::path dir);

  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path file_for(const CacheKey& key) const;  // dir/tuning/<op>/<stem>.json

  // Reading: the records of that key; empty when there is no file (or it was corrupt). A
  // damaged file found while reading is moved aside (the one repair a read makes).
  std::vector<TuneRecord> load(const CacheKey& key) const;
  // Every file of one op (or of all), with its records, sorted by file name.
  std::vector<std::pair<CacheKey, std::vector<TuneRecord>>> list(std::optional<std::string> op = {}) const;

  // Writing (not const: these change what the cache holds).
  // Adds the record, replacing an older one of the same candidate_id.
  void append(const CacheKey& key, const TuneRecord& record);
  void append(const CacheKey& key, const std::vector<TuneRecord>& records);
  // Takes records made elsewhere (another process, rank, host or job): each is added when
  // the cache has no record of its candidate and replaces the cache's when it is newer
  // (later timestamp); an equal or older one changes nothing, so merging the same records
  // again adds nothing. The file is rewritten only when something changed. Returns how
  // many records were added or replaced.
  size_t merge(const CacheKey& key, const std::vector<TuneRecord>& records);
  // Removes the files of one op (or all); returns how many. Only files the cache writes
  // are removed, never through a symlink; an `op` that is not an op name is an InputError.
  size_t clear(std::optional<std::string> op = {});

 private:
  std::filesystem::path root() const { return dir_ / "tuning"; }
  // Adds or replaces records under the lock (only_newer: merge's rule); returns how many changed.
  size_t update(const CacheKey& key, const std::vector<TuneRecord>& records, bool only_newer);
  std::filesystem::path dir_;
};

}  // namespace kpg
