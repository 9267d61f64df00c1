#pragma once
// How repetitions become a Timing, apart from the GPU (timer.hpp runs the repetitions):
// what one repetition's sample is, the statistics over them, and the schedule (warm-up,
// graph replay of short launches, how far the GPU is held back for a slow host, how many
// repetitions). Pure arithmetic and decisions, so tests check them without a device.

#include <vector>

namespace kpg {

// The method's name, in results files (docs/design/results_file.md).
inline constexpr const char* kTimingMethod = "kpg-writeback-charged";

// The method's revision, raised whenever a change to the timer moves its figures. Tuning-cache
// keys name the method as "<name>/<revision>" (tuning_cache.hpp), so that records timed before
// are timed again, never ranked against new ones.
inline constexpr int kTimingRevision = 2;

struct TimingSettings {
  double warmup_ms = 10;       // at least this much GPU time of warm-up repetitions
  double rep_ms = 50;          // aim for this much GPU time of timed repetitions
  int min_reps = 10;
  int max_reps = 1000;
  double graph_below_us = 10;  // shorter launches are replayed from a CUDA graph; 0: never

  // Twice the timed repetitions (the time aimed for and the minimum count), for the
  // measurements that decide between close results: a lesson's fused and unfused rows.
  TimingSettings twice_the_reps() const;
};

// One repetition: the event intervals around reference read | launch | flush (l2_flush.hpp).
struct RepTimes {
  double reference_ms = 0;     // the reference read, from a clean L2
  double launch_ms = 0;        // the launch alone; what it left dirty is still in L2
  double flush_ms = 0;         // the flush after it, which also writes that back
  double host_enqueue_us = 0;  // host time spent in the launch function
  bool host_late = false;      // the GPU reached the launch before the host had enqueued the flush
};

// A repetition's sample: the launch plus the write-back of what it left dirty, i.e. how much
// longer the flush after it took than the reference read. Writing back never saves time: a
// flush faster than the reference is read noise, and the write-back then counts as zero, so
// a sample is never below the launch's own time (and never zero or negative).
double charged_ms(const RepTimes& rep);
// True when that happened (the write-back was counted as zero).
bool write_back_floored(const RepTimes& rep);

struct Timing {
  double median_ms = 0;           // median of the charged samples
  double min_ms = 0;
  double spread_pct = 0;          // (p90 - p10) / median of the charged samples, in percent
  int reps = 0;
  bool graph_replay = false;
  double launch_median_ms = 0;    // median of the launch alone, write-back not charged
  double writeback_median_ms = 0; // median of flush - reference, signed (noise can make it < 0)
  int floored_reps = 0;           // repetitions whose write-back was counted as zero
  int host_late_reps = 0;         // repetitions the host may have delayed (see RepTimes)
  double hold_us = 0;             // GPU wait before each repetition so that the host stays ahead
};

// Median, min and spread of plain samples (reps = their count; the rest left zero).
Timing summarize(std::vector<double> samples_ms);
// The Timing of a list of repetitions: statistics of their charged samples and the
// diagnostics above.
Timing summarize_reps(const std::vector<RepTimes>& reps);

// What the schedule drives: one repetition at a time.
class RepRunner {
 public:
  virtual ~RepRunner() = default;
  // Runs one repetition and waits for it.
  virtual RepTimes run_rep() = 0;
  // From now on the launch is replayed from a CUDA graph of it; false (and nothing changes)
  // where the stream cannot be captured (the legacy default stream).
  virtual bool use_graph() = 0;
  // From now on the GPU waits `us` before each repetition.
  virtual void set_hold_us(double us) = 0;
};

// Warm-up repetitions until `warmup_ms` of charged time and 3 at least (200 at most); graph
// replay when the warm-up's median launch is below `graph_below_us`; a hold when the host
// takes long to enqueue the launch (hold_for); then rep_ms / (median warm-up sample)
// repetitions, within [min_reps, max_reps], summarised.
Timing time_reps(RepRunner& runner, const TimingSettings& settings);

// The GPU waits at least this long before every repetition, so that the host has enqueued the
// reference read before the GPU reaches e0. Were the GPU idle there, the host's enqueueing of
// the read would be timed as reading, and the subtraction would take it off the launch's
// write-back.
inline constexpr double kMinHoldUs = 20;

// The GPU wait before each repetition that keeps the host's enqueueing ahead of the GPU:
// the host needs about its enqueue time of the launch (p90 of `reps` after the first, twice
// that plus 20 us of margin) before the GPU reaches the launch, and the reference read
// already gives it that read's time. kMinHoldUs when the read is long enough, and at least
// the margin's worth when a repetition other than the first came out host-late.
double hold_for(const std::vector<RepTimes>& reps);

}  // namespace kpg
