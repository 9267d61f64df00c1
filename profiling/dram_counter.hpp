#pragma once
// Device-memory bytes a launch really moves, read from the GPU's hardware counters
// (dram__bytes_read.sum, dram__bytes_write.sum) through CUPTI's range profiler
// (cupti_range_profiler.h + cupti_profiler_host.h, CUDA 12.6 and newer).
//
// libcupti is loaded with dlopen, never linked, so kpg starts where there is no GPU and no
// CUPTI. Where CUPTI cannot be used (not found, too old, counters restricted to admin users,
// device not supported) nothing throws: available() is false and why_unavailable() says why
// in one sentence. Search order: $KPG_CUPTI_LIBRARY alone when set; else libcupti.so.13 and
// libcupti.so through the loader's path; else under $CUDA_HOME (default /usr/local/cuda):
// lib64, lib, extras/CUPTI/lib64, targets/x86_64-linux/lib.
//
// How one measurement goes (user range, user replay: `launch` runs once per counter pass,
// so it must be idempotent, as kpg's kernels are for a given input):
//   flush L2 | range "launch": launch, flush L2 | range "flush": flush L2
// The flush overwrites a buffer of twice the L2, so the launch finds none of its data in
// L2 and the L2 is full of dirty flush lines before and after each range. Subtracting the
// second range from the first leaves the launch's own traffic, including the write-back of
// what it left dirty in L2, which a range ending right after the launch would miss.
// Not thread-safe: one measurement at a time per process (CUPTI profiles one context).

#include <cuda.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace kpg::memory {

struct DramBytes {
  double read = 0;           // dram__bytes_read.sum of the launch
  double write = 0;          // dram__bytes_write.sum of the launch
  double flush_read = 0;     // the subtracted flush range's own counts, for the curious
  double flush_write = 0;
  int passes = 0;            // launches (counter passes) it took
  double total() const { return read + write; }
};

class DramCounter {
 public:
  // Finds and loads CUPTI (see above); never throws.
  DramCounter();
  // Tries exactly these libraries, in order (tests).
  explicit DramCounter(const std::vector<std::string>& candidates);

  // CUPTI was found with every function used, and no measurement has failed yet.
  bool available() const { return reason_.empty(); }
  // Empty when available(); otherwise one plain sentence, e.g. "CUPTI not found (searched ...)".
  const std::string& why_unavailable() const { return reason_; }
  // The library loaded ("/usr/local/cuda/lib64/libcupti.so.13"), empty if none.
  const std::string& library() const { return library_; }
  // "CUPTI range profiler, API 130001" or the like; empty if none.
  std::string describe() const;

  // Profiles `launch` (kernels on `stream`) on the calling thread's current context as
  // described above. nullopt when CUPTI is unavailable or a CUPTI call failed; the failure
  // is then kept (available() turns false) and why_unavailable() names the call and
  // CUPTI's error. Exceptions thrown by `launch` or by the driver (kpg::Error) propagate
  // after the profiler is shut down.
  std::optional<DramBytes> measure(const std::function<void(CUstream)>& launch, CUstream stream);

  // The paths tried, in order, when $KPG_CUPTI_LIBRARY is unset (for messages and tests).
  static std::vector<std::string> search_list();

  struct Api;  // the CUPTI functions, resolved by dlsym (dram_counter.cpp)

 private:
  void load_first(const std::vector<std::string>& candidates, bool from_env);

  std::shared_ptr<const Api> api_;  // the library itself stays open for the process
  std::string library_;
  std::string reason_;
};

}  // namespace kpg::memory
