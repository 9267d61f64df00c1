#pragma once
// Helpers of the library tests: a small op (YAML and kernel file written to a scratch
// folder) whose choices the tests control, and its cache keys on a given card.

#include <filesystem>
#include <stdexcept>
#include <string>

#include "tests/cache_test_support.hpp"
#include "tests/shared_test_support.hpp"
#include "tuner/config.hpp"
#include "tuner/tuning_cache.hpp"
#include "tuner/tuning_key.hpp"

namespace kpg::testing {

// Op "rows": one input x [M, N] and a bias b [N], outputs y [M, N] and stats [M], a scalar
// eps, a flag SHIFT, a scratch counter [M + 1] used by space `split` only. Space `warp`:
// WARPS in 1, 2, 4, 8 (default 4), valid while N <= 1024; space `split`: PARTS 2, 4 (default 2).
inline const std::string kRowsYaml = R"(op: rows
description: an op for the library tests
source: rows.cu
dims: [M, N, SHIFT]
flags: [SHIFT]
dtypes: [f32, f16, bf16]
shapes:
  - {M: 64, N: 300, SHIFT: 0}
cache_key: {M: pow2, N: exact, SHIFT: exact}
buffers:
  x: {dtype: T, shape: [M, N]}
  b: {dtype: T, shape: [N]}
  y: {dtype: T, shape: [M, N], output: true}
  stats: {dtype: f32, shape: [M], output: true}
  counter: {dtype: i32, shape: [{add: [M, 1]}], scratch: true}
scalars: {eps: 1.0e-5}
reference: {builtin: softmax}
flops: {mul: [3, M, N]}
variants:
  fused:
    spaces:
      - name: warp
        params:
          WARPS: [1, 2, 4, 8]
        constraints:
          - {le: [N, 1024]}
        default: {WARPS: 4}
        launches:
          - {kernel: k_warp, args: [x, b, y, stats, M, N, eps], block: [{mul: [WARPS, 32]}], grid: [M]}
      - name: split
        params:
          PARTS: [2, 4]
        default: {PARTS: 2}
        launches:
          - {kernel: k_split, args: [x, b, y, stats, counter, M, N, eps], block: [256], grid: [{mul: [M, PARTS]}]}
  plain:
    launches:
      - {kernel: k_plain, args: [x, b, y, stats, M, N], block: [256], grid: [M]}
)";

// Writes dir/configs/rows.yaml and dir/kernels/rows.cu; returns the configs folder.
inline std::filesystem::path write_rows_op(const std::filesystem::path& dir) {
  write_file(dir / "kernels" / "rows.cu", "extern \"C\" __global__ void k_warp() {}\n");
  write_file(dir / "configs" / "rows.yaml", kRowsYaml);
  return dir / "configs";
}

// A cache key of op rows, variant fused, on `device`, at `shape_key`.
inline CacheKey rows_key(const OpConfig& config, const std::string& device, const std::string& shape_key) {
  CacheKey key;
  key.op = "rows";
  key.source_hash = source_hash(config, {config.file.parent_path().parent_path() / "kernels"},
                                config.find_variant("fused"));
  key.device = device;
  key.driver_version = "13000";
  key.nvrtc_version = "13000";
  key.shape_key = shape_key;
  key.variant = "fused";
  return key;
}

}  // namespace kpg::testing
