#pragma once
// Record, the tuner's fifth stage: every result written to the tuning cache the moment it
// exists (a crash loses nothing; a rerun times only what has no record), a failed
// candidate kept reproducible (tuner/failure_log.hpp), and each result reported as an
// event. Select (tuner/selection.hpp) then reads the records this log holds.

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tuner/selection.hpp"
#include "tuner/space.hpp"
#include "tuner/timing_method.hpp"
#include "tuner/tune_types.hpp"
#include "tuner/tuning_cache.hpp"

namespace kpg {

// A record naming the candidate, not measured (ok = false): what a start event carries.
TuneRecord candidate_record(const Candidate& c);
// The candidate failed: "compile error: ...", "resources: ...", "wrong result: ...", "fault: ...".
TuneRecord failure_record(const Candidate& c, std::string why);
// The candidate passed its check and was timed.
TuneRecord timed_record(const Candidate& c, const Timing& t);

class TuneLog {
 public:
  // Called for each failed record once it is in the cache.
  using FailureKeeper = std::function<void(const TuneRecord&)>;

  // Loads the key's records of the live candidates (others are left aside, not removed).
  TuneLog(TuningCache& cache, CacheKey key, const std::set<std::string>& live_ids,
          std::function<void(const TuneEvent&)> on_event = {}, FailureKeeper keep_failure = {});

  const CacheKey& key() const { return key_; }
  const TuningCache& cache() const { return cache_; }
  // Candidate id -> its latest record.
  const std::map<std::string, TuneRecord>& known() const { return known_; }
  // Every known record, by candidate id.
  std::vector<TuneRecord> records() const;
  // The best of the known records and whether the runner-up is within noise of it.
  Selection select() const;

  // The candidate is about to run on the GPU (a start event).
  void starting(const Candidate& c) const;
  // A result: into the cache, kept when it failed, reported, counted.
  void record(TuneRecord r);
  // A re-measurement of a known record (a tie re-matched): into the cache, not counted.
  void remeasured(const TuneRecord& r);

  size_t timed() const { return timed_; }
  size_t failed() const { return failed_; }

 private:
  void emit(TuneEvent::Kind kind, const TuneRecord& r) const;

  TuningCache& cache_;
  CacheKey key_;
  std::set<std::string> live_ids_;
  std::function<void(const TuneEvent&)> on_event_;
  FailureKeeper keep_failure_;
  std::map<std::string, TuneRecord> known_;
  size_t timed_ = 0, failed_ = 0;
};

}  // namespace kpg
