#include "tuner/tune_log.hpp"

#include <utility>

namespace kpg {

TuneRecord candidate_record(const Candidate& c) {
  TuneRecord r;
  r.candidate_id = c.id();
  r.params = c.params;
  r.variant = c.variant;
  r.timestamp = utc_timestamp();
  return r;
}

TuneRecord failure_record(const Candidate& c, std::string why) {
  TuneRecord r = candidate_record(c);
  r.failure = std::move(why);
  return r;
}

TuneRecord timed_record(const Candidate& c, const Timing& t) {
  TuneRecord r = candidate_record(c);
  r.ok = true;
  r.median_ms = t.median_ms;
  r.min_ms = t.min_ms;
  r.spread_pct = t.spread_pct;
  r.reps = t.reps;
  return r;
}

TuneLog::TuneLog(TuningCache& cache, CacheKey key, const std::set<std::string>& live_ids,
                 std::function<void(const TuneEvent&)> on_event, FailureKeeper keep_failure)
    : cache_(cache),
      key_(std::move(key)),
      live_ids_(live_ids),
      on_event_(std::move(on_event)),
      keep_failure_(std::move(keep_failure)) {
  for (auto& r : cache_.load(key_))
    if (live_ids_.count(r.candidate_id)) known_[r.candidate_id] = std::move(r);
}

std::vector<TuneRecord> TuneLog::records() const {
  std::vector<TuneRecord> out;
  for (const auto& [id, r] : known_) out.push_back(r);
  return out;
}

Selection TuneLog::select() const { return select_best(records(), live_ids_); }

void TuneLog::emit(TuneEvent::Kind kind, const TuneRecord& r) const {
  if (on_event_) on_event_(TuneEvent{kind, key_, r});
}

void TuneLog::starting(const Candidate& c) const { emit(TuneEvent::Kind::start, candidate_record(c)); }

void TuneLog::record(TuneRecord r) {
  cache_.append(key_, r);
  if (!r.ok && keep_failure_) keep_failure_(r);
  emit(TuneEvent::Kind::result, r);
  (r.ok ? timed_ : failed_)++;
  known_[r.candidate_id] = std::move(r);
}

void TuneLog::remeasured(const TuneRecord& r) {
  cache_.append(key_, r);
  known_[r.candidate_id] = r;
}

}  // namespace kpg
