#pragma once
// The host side of checking a candidate: comparing its outputs with the float64 reference, split
// over threads for large outputs (a 4096x32768 output is 134 M elements, seconds on one thread).
// Pure CPU code: Workload::check() downloads the outputs and calls compare_output().

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "tuner/config.hpp"

namespace kpg {

struct OutputCheck {
  std::string buffer;
  bool ok = true;
  int64_t checked = 0, bad = 0;
  double max_abs_err = 0, max_rel_err = 0;
  int64_t worst_index = -1;           // element with the largest excess over tolerance
  double worst_value = 0, worst_expected = 0;
  std::string describe() const;       // "y: 3 of 4096 elements off, worst [17] = nan, expected 0.25"
};

struct CheckReport {
  bool ok = true;
  std::vector<OutputCheck> outputs;
  std::string describe() const;       // one line per failing output
};

// How many chunks for_each_chunk() should split n elements into: 1 (no threads) below about
// 1 M elements, else up to std::thread::hardware_concurrency().
size_t chunk_count(size_t n);

// Runs f(chunk, begin, end) for chunk = 0 .. chunks-1 over contiguous, ordered pieces [begin, end)
// of [0, n) (empty pieces when chunks > n), each piece on its own thread, chunk 0 on the caller's.
// f must not throw: an exception on a worker thread ends the program.
void for_each_chunk(size_t n, size_t chunks, const std::function<void(size_t chunk, size_t begin, size_t end)>& f);

struct IndexRange {
  size_t begin = 0, end = 0;
};

// Compares actual[i] with expected[i] for every i of `ranges`, scanned in the order given (the whole
// buffer, or the rows of a sampled reference), and returns the result as the serial scan would: the
// worst element is the one of largest excess over tolerance, the earliest one on ties. `buffer`
// is left to the caller. `chunks`: 0 picks chunk_count(); tests force others.
// Throws when a range does not fit both vectors.
OutputCheck compare_output(const std::vector<double>& actual, const std::vector<double>& expected,
                           const Tolerance& tol, const std::vector<IndexRange>& ranges, size_t chunks = 0);

}  // namespace kpg
