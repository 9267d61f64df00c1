#pragma once
// An op config (configs/<op>.yaml, schema in configs/README.md), loaded and validated as a
// whole before anything runs: every problem is a ConfigError naming file, line, column and key.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tuner/config_error.hpp"
#include "tuner/expr.hpp"
#include "tuner/shape.hpp"
#include "tuner/timing_method.hpp"

namespace kpg {

struct InitSpec {
  enum Kind { normal, uniform, constant, iota } kind = normal;
  double a = 0, b = 0;  // normal: mean, std; uniform: lo, hi; constant: value
};

struct BufferSpec {
  std::string name;
  std::string dtype;  // "T" (the shape's dtype) or a concrete dtype name
  std::vector<Expr> shape;
  enum Role { input, output, scratch } role = input;
  std::optional<InitSpec> init;  // inputs only; absent: normal(0, 1)
  SourceLoc loc;
};

// A TMA tensor map over a buffer (`{tensor_map: x, box: [...], swizzle: 128, view: [...]}`),
// with what it needs of its buffer copied in so that it is evaluated from a shape alone.
struct TensorMapSpec {
  std::string dtype;               // its buffer's: "T" or a concrete dtype name
  std::vector<Expr> buffer_shape;  // its buffer's shape
  std::vector<Expr> view;          // the shape it tiles, of as many elements; empty: buffer_shape
  std::vector<Expr> box;           // one per dim of the tiled shape, innermost last
  Expr swizzle;                    // bytes: 0 (none), 32, 64 or 128
};

struct ArgSpec {
  // buffer: device pointer; int32_name: a dim or param passed as int32; scalar_name: a
  // `scalars:` entry passed as f32; i32/i64/f32: a typed expression; tensor_map: a
  // 128-byte CUtensorMap over buffer `name`.
  enum Kind { buffer, int32_name, scalar_name, i32, i64, f32, tensor_map } kind = buffer;
  std::string name;
  std::optional<Expr> value;
  std::optional<TensorMapSpec> tensor_map_spec;  // set for tensor_map
  SourceLoc loc;

  // Whether the argument passes buffer `name` to the kernel: its pointer or a tensor map over it.
  bool names_buffer() const { return kind == buffer || kind == tensor_map; }
};

struct LaunchSpec {
  std::string kernel;
  SourceLoc kernel_loc;  // of the `kernel:` value
  std::vector<ArgSpec> args;
  std::vector<Expr> block, grid;  // 1 to 3 each
  Expr shared_bytes;
  SourceLoc loc;
};

struct SpaceSpec {
  std::string name;
  std::vector<std::pair<std::string, std::vector<int64_t>>> params;  // ordered as in the file
  std::vector<Expr> constraints;
  std::vector<std::string> constraint_notes;  // per constraint: the YAML comment above it, or ""
  std::vector<std::pair<std::string, Expr>> defines;
  std::map<std::string, int64_t> defaults;  // every param; the first values when not given
  std::vector<LaunchSpec> launches;
  std::string arch;  // e.g. "sm_90a" when the space needs arch-specific instructions; empty: the device's
  // The kernel file its candidates compile (resolved, absolute): the space's own `source`,
  // else its variant's, else the op's.
  std::filesystem::path source;
  SourceLoc loc;
};

struct VariantSpec {
  std::string name;
  std::vector<SpaceSpec> spaces;
  SourceLoc loc;

  std::vector<std::filesystem::path> sources() const;  // its spaces' kernel files, each once, in order
};

struct ReferenceSpec {
  std::string builtin;  // exactly one of the two is set
  std::string variant;
};

struct Tolerance {
  double abs = 0, rel = 0;
};

struct OpConfig {
  std::filesystem::path file;
  std::string op, description;
  // The op-level `source` (resolved, absolute): the kernel file of every space that names
  // none. Empty when each space (or variant) names its own; the files candidates compile
  // are SpaceSpec::source.
  std::filesystem::path source;
  std::vector<std::string> dims;
  std::vector<std::string> flags;  // dims that are 0/1 switches (e.g. CAUSAL)
  bool is_flag(std::string_view dim) const;
  std::vector<DType> dtypes;
  std::vector<Shape> shapes;
  std::map<std::string, std::string> cache_key;  // dim -> "exact" | "pow2", every dim
  std::vector<BufferSpec> buffers;
  std::vector<std::pair<std::string, Expr>> scalars;  // float values the references and kernels take
  ReferenceSpec reference;
  std::map<DType, Tolerance> tolerance;
  TimingSettings timing;  // `timing:`, what every measurement of this op uses
  std::optional<Expr> flops;  // arithmetic of one run, over dims: the ranking's TFLOP/s
  std::vector<VariantSpec> variants;

  const VariantSpec* find_variant(std::string_view name) const;
  const BufferSpec* find_buffer(std::string_view name) const;
  // Space `index` of variant `variant` (a candidate's: its kernel file, arch, launches);
  // std::out_of_range when there is none.
  const SpaceSpec& space_of(std::string_view variant, size_t index) const;
  std::vector<std::filesystem::path> sources() const;  // every space's kernel file, each once, in order
};

// Loads and validates the whole file. Each `source` (op, variant or space) is looked up in
// kernels_dir, then next to the YAML file. Throws ConfigError (malformed YAML, unknown key,
// wrong type, ...).
OpConfig load_config(const std::filesystem::path& yaml_file, const std::filesystem::path& kernels_dir);
// As load_config, from YAML text already in memory; `name` stands for the file in messages
// and for finding `source` next to it (the config fuzzer's entry point).
OpConfig load_config_text(const std::string& yaml_text, const std::filesystem::path& name,
                          const std::filesystem::path& kernels_dir);

// Whether `name` is an op name as configs spell it ([a-z][a-z0-9_-]*): never a path.
bool is_op_name(const std::string& name);

// "softmax" -> configs_dir/softmax.yaml; a path ending in .yaml/.yml (or containing '/')
// is taken as given. Unknown op or missing file: ConfigError listing the known ops.
std::filesystem::path resolve_op_config(const std::string& op_or_file, const std::filesystem::path& configs_dir);

// "--shape M=4096,N=781,dtype=f16" (dtype optional: `dtype` if given, else the config's
// first). Every dim once, values >= 1, 32-bit limits checked (check_shape). ConfigError with
// file "--shape".
Shape parse_shape(std::string_view text, const OpConfig& config, std::optional<DType> dtype = std::nullopt);

// A shape's limits: every dim given once and >= 1, its dtype one of the config's, every
// int32 argument and every buffer's element count within INT32_MAX (kernels index with int).
void check_shape(const OpConfig& config, const Shape& shape, const SourceLoc& where);

}  // namespace kpg
