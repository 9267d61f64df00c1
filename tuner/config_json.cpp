#include "tuner/config_json.hpp"

#include <string>
#include <utility>
#include <vector>

namespace kpg {
namespace {

using nlohmann::json;

json exprs(const std::vector<Expr>& list) {
  json out = json::array();
  for (const auto& e : list) out.push_back(e.to_string());
  return out;
}

json named_exprs(const std::vector<std::pair<std::string, Expr>>& list) {
  json out = json::array();
  for (const auto& [name, e] : list) out.push_back(json::array({name, e.to_string()}));
  return out;
}

template <class T, class F>
json each(const std::vector<T>& list, F&& f) {
  json out = json::array();
  for (const auto& item : list) out.push_back(f(item));
  return out;
}

json to_json(const InitSpec& init) {
  const auto& [kind, a, b] = init;
  return json{{"kind", static_cast<int>(kind)}, {"a", a}, {"b", b}};
}

json to_json(const BufferSpec& buffer) {
  [[maybe_unused]] const auto& [name, dtype, shape, role, init, loc] = buffer;
  return json{{"name", name},
              {"dtype", dtype},
              {"shape", exprs(shape)},
              {"role", static_cast<int>(role)},
              {"init", init ? to_json(*init) : json(nullptr)}};
}

json to_json(const TensorMapSpec& map) {
  const auto& [dtype, buffer_shape, view, box, swizzle] = map;
  return json{{"dtype", dtype},
              {"buffer_shape", exprs(buffer_shape)},
              {"view", exprs(view)},
              {"box", exprs(box)},
              {"swizzle", swizzle.to_string()}};
}

json to_json(const ArgSpec& arg) {
  [[maybe_unused]] const auto& [kind, name, value, tensor_map_spec, loc] = arg;
  json out{{"kind", static_cast<int>(kind)}, {"name", name}, {"value", value ? json(value->to_string()) : json(nullptr)}};
  // Only where there is one: the JSON (and the tuning keys hashed from it) of configs
  // without tensor maps stays what it was.
  if (tensor_map_spec) out["tensor_map"] = to_json(*tensor_map_spec);
  return out;
}

json to_json(const LaunchSpec& launch) {
  [[maybe_unused]] const auto& [kernel, kernel_loc, args, block, grid, shared_bytes, loc] = launch;
  return json{{"kernel", kernel},
              {"args", each(args, [](const ArgSpec& a) { return to_json(a); })},
              {"block", exprs(block)},
              {"grid", exprs(grid)},
              {"shared_bytes", shared_bytes.to_string()}};
}

json to_json(const Shape& shape) {
  const auto& [dims, dtype] = shape;
  return json{{"dims", dims}, {"dtype", dtype_name(dtype)}};
}

json to_json(const ReferenceSpec& reference) {
  const auto& [builtin, variant] = reference;
  return json{{"builtin", builtin}, {"variant", variant}};
}

json to_json(const TimingSettings& timing) {
  const auto& [warmup_ms, rep_ms, min_reps, max_reps, graph_below_us] = timing;
  return json{{"warmup_ms", warmup_ms},
              {"rep_ms", rep_ms},
              {"min_reps", min_reps},
              {"max_reps", max_reps},
              {"graph_below_us", graph_below_us}};
}

}  // namespace

json to_json(const SpaceSpec& space) {
  [[maybe_unused]] const auto& [name, params, constraints, constraint_notes, defines, defaults, launches, arch, source,
                                loc] = space;
  json grid = json::array();
  for (const auto& [param, values] : params) grid.push_back(json::array({param, values}));
  return json{{"name", name},
              {"params", grid},
              {"constraints", exprs(constraints)},
              {"constraint_notes", constraint_notes},
              {"defines", named_exprs(defines)},
              {"defaults", defaults},
              {"launches", each(launches, [](const LaunchSpec& l) { return to_json(l); })},
              {"arch", arch},
              {"source", source.generic_string()}};
}

json to_json(const VariantSpec& variant) {
  [[maybe_unused]] const auto& [name, spaces, loc] = variant;
  return json{{"name", name}, {"spaces", each(spaces, [](const SpaceSpec& s) { return to_json(s); })}};
}

json to_json(const OpConfig& config) {
  const auto& [file, op, description, source, dims, flags, dtypes, shapes, cache_key, buffers, scalars, reference,
               tolerance, timing, flops, variants] = config;
  json types = json::array();
  for (DType t : dtypes) types.push_back(dtype_name(t));
  json tolerances = json::object();
  for (const auto& [dtype, tol] : tolerance) {
    const auto& [abs, rel] = tol;
    tolerances[std::string(dtype_name(dtype))] = json{{"abs", abs}, {"rel", rel}};
  }
  return json{{"file", file.generic_string()},
              {"op", op},
              {"description", description},
              {"source", source.generic_string()},
              {"dims", dims},
              {"flags", flags},
              {"dtypes", types},
              {"shapes", each(shapes, [](const Shape& s) { return to_json(s); })},
              {"cache_key", cache_key},
              {"buffers", each(buffers, [](const BufferSpec& b) { return to_json(b); })},
              {"scalars", named_exprs(scalars)},
              {"reference", to_json(reference)},
              {"tolerance", tolerances},
              {"timing", to_json(timing)},
              {"flops", flops ? json(flops->to_string()) : json(nullptr)},
              {"variants", each(variants, [](const VariantSpec& v) { return to_json(v); })}};
}

}  // namespace kpg
