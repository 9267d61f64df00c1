#pragma once
// Helpers of the CPU tuner tests: those of every folder (TempDir, write_file), and positions
// of a snippet inside a YAML text (to check reported line/column), a tiny config to vary.

#include <gtest/gtest.h>

#include <filesystem>
#include <stdexcept>
#include <string>

#include "tests/shared_test_support.hpp"
#include "tuner/config.hpp"

namespace kpg::test {

using testing::replaced;
using testing::TempDir;
using testing::write_file;

// 1-based line and column of the n-th occurrence of `needle` in `text`.
struct Position {
  int line = 0, column = 0;
};
inline Position position_of(const std::string& text, const std::string& needle, int nth = 0) {
  size_t at = text.find(needle);
  for (int i = 0; i < nth && at != std::string::npos; ++i) at = text.find(needle, at + 1);
  if (at == std::string::npos) throw std::runtime_error("needle not in text: " + needle);
  Position p{1, 1};
  for (size_t i = 0; i < at; ++i) {
    if (text[i] == '\n') {
      ++p.line;
      p.column = 1;
    } else {
      ++p.column;
    }
  }
  return p;
}

// A small, valid config (with its kernel file) used and varied by the tests. At
// M=64, N=300: space `warp` has 3 x 4 = 12 combinations of which VEC=1 (4) fails the
// constraint N <= VEC*256; space `block` has 5 of which THREADS=2048 exceeds 1024 threads.
inline const std::string kTinyYaml = R"(op: tiny
description: a config for the tuner tests
source: tiny.cu
dims: [M, N]
dtypes: [f32, f16]
shapes:
  - {M: 64, N: 300}
  - {M: 1000, N: 300, dtype: f16}
cache_key: {M: pow2}
buffers:
  x: {dtype: T, shape: [M, N], init: {uniform: [-1, 1]}}
  y: {dtype: T, shape: [M, N], output: true}
  rowmax: {dtype: f32, shape: [M], scratch: true}
scalars:
  eps: 1.0e-5
reference: {builtin: softmax}
tolerance:
  f32: {abs: 1.0e-6, rel: 1.0e-4}
timing: {warmup_ms: 1, rep_ms: 5, min_reps: 5, max_reps: 50, graph_below_us: 5}
variants:
  fused:
    spaces:
      - name: warp
        params:
          VEC: [1, 2, 4]
          WARPS: [1, 2, 4, 8]
        constraints:
          - {le: [N, {mul: [VEC, 32, 8]}]}
        defines:
          COLS: {ceil_div: [N, {mul: [VEC, 32]}]}
        default: {VEC: 4, WARPS: 4}
        launches:
          - kernel: k_warp
            args: [x, y, M, N, VEC, eps, {f32: 0.5}, {i64: {mul: [M, N]}}]
            block: [{mul: [WARPS, 32]}]
            grid: [{ceil_div: [M, WARPS]}]
            shared_bytes: 0
      - name: block
        params:
          THREADS: [128, 256, 512, 1024, 2048]
        launches:
          - {kernel: k_block, args: [x, y, M, N], block: [THREADS], grid: [M], shared_bytes: {mul: [THREADS, 4]}}
  unfused:
    launches:
      - {kernel: k_max, args: [x, rowmax, M, N], block: [256], grid: [M]}
      - {kernel: k_div, args: [x, rowmax, y, M, N], block: [256], grid: [M, 2]}
)";

inline const std::string kTinyKernel = "#include \"tiny_common.cuh\"\nextern \"C\" __global__ void k_warp() {}\n";

// Writes `yaml` as dir/tiny.yaml next to its kernel (and header) and loads it.
inline OpConfig load_yaml(const TempDir& dir, const std::string& yaml, const std::string& name = "tiny.yaml") {
  write_file(dir.path() / "kernels" / "tiny.cu", kTinyKernel);
  write_file(dir.path() / "kernels" / "tiny_common.cuh", "#pragma once\n");
  return load_config(write_file(dir.path() / name, yaml), dir.path() / "kernels");
}

}  // namespace kpg::test
