#include "kpg/timing.hpp"

#include <limits>
#include <mutex>

#include "lib/api_guard.hpp"
#include "lib/device_session.hpp"
#include "tuner/same_bytes_copy.hpp"
#include "tuner/timer.hpp"
#include "tuner/timing_method.hpp"

namespace kpg {
namespace {

// A device's timer (its events and flush buffers) serves one timing at a time.
std::mutex g_timer_mutex;

TimingSettings settings_of(const TimeOptions& o, CUstream stream) {
  if (o.graph && !stream)
    throw InputError("timing with graph replay needs a stream other than the legacy default stream (it cannot "
                     "be captured)");
  if (!(o.warmup_ms >= 0) || !(o.rep_ms > 0) || o.min_reps < 1 || o.max_reps < o.min_reps)
    throw InputError("timing options: warmup_ms >= 0, rep_ms > 0 and 1 <= min_reps <= max_reps, got warmup_ms " +
                     std::to_string(o.warmup_ms) + ", rep_ms " + std::to_string(o.rep_ms) + ", reps " +
                     std::to_string(o.min_reps) + ".." + std::to_string(o.max_reps));
  // graph: every launch replayed from its captured graph; otherwise never.
  return TimingSettings{o.warmup_ms, o.rep_ms, o.min_reps, o.max_reps,
                        o.graph ? std::numeric_limits<double>::infinity() : 0.0};
}

void fill(TimeResult& out, const Timing& t) {
  out.median_ms = t.median_ms;
  out.min_ms = t.min_ms;
  out.spread_pct = t.spread_pct;
  out.reps = t.reps;
  out.launch_ms = t.launch_median_ms;
  out.writeback_ms = t.writeback_median_ms;
  out.graph_replay = t.graph_replay;
  out.method = kTimingMethod;
}

}  // namespace

TimeResult time(const std::function<void(CUstream)>& launch, CUstream stream, const TimeOptions& options) {
  return api_guard([&] {
    const TimingSettings settings = settings_of(options, stream);
    const std::lock_guard lock(g_timer_mutex);
    const Gpu& gpu = shared_gpu(options.device);
    make_current(gpu);
    TimeResult out;
    fill(out, gpu.timer().time(launch, settings, stream));
    return out;
  });
}

CopyResult same_bytes_copy(int64_t read_bytes, int64_t write_bytes, CUstream stream, const TimeOptions& options) {
  return api_guard([&] {
    const TimingSettings settings = settings_of(options, stream);
    const std::lock_guard lock(g_timer_mutex);
    const Gpu& gpu = shared_gpu(options.device);
    make_current(gpu);
    const CopyTiming copy = time_same_bytes_copy(gpu.timer(), read_bytes, write_bytes, settings, stream);
    CopyResult out;
    fill(out, copy.timing);
    out.read_bytes = copy.read_bytes;
    out.write_bytes = copy.write_bytes;
    out.gbs = copy.gbs();
    out.copier = copy.copier;
    for (const auto& c : copy.copiers) out.copiers.push_back({c.name, c.median_ms});
    return out;
  });
}

}  // namespace kpg
