// load_config, part two: variants, their spaces (params grid, constraints, defines,
// default) and launches (kernel, args, block, grid, shared memory).

#include <algorithm>
#include <cmath>

#include "runtime/tensor_map.hpp"
#include "tuner/config_loader.hpp"
#include "tuner/scope.hpp"

namespace kpg::detail {
namespace {

class VariantLoader {
 public:
  VariantLoader(const YamlReader& reader, const ConfigNames& names, const KernelFiles& files)
      : reader_(reader), names_(names), files_(files) {}

  VariantSpec variant(const YamlReader::Entry& e) {
    VariantSpec v;
    v.name = e.name;
    v.loc = reader_.loc(e.key, e.path);
    if (!is_identifier(e.name)) reader_.fail(e.key, e.path, "expected a variant name, got '" + e.name + "'");
    reader_.expect_map(e.value, e.path);
    if (!e.value["spaces"]) {
      v.spaces.push_back(space(e.value, e.path, e.name, files_.op_source));  // one space, written inline
      return v;
    }
    reader_.entries(e.value, e.path, {"spaces", "source"});
    // The variant's `source`: the kernel file of its spaces that name none.
    const std::filesystem::path variant_source =
        e.value["source"] ? resolve_kernel_file(reader_, e.value["source"], e.path + ".source", files_)
                          : files_.op_source;
    const YAML::Node spaces = e.value["spaces"];
    const std::string path = e.path + ".spaces";
    reader_.expect_list(spaces, path, true);
    for (size_t i = 0; i < spaces.size(); ++i) {
      const std::string item = path + "[" + std::to_string(i) + "]";
      reader_.expect_map(spaces[i], item);
      if (spaces.size() > 1 && !spaces[i]["name"]) reader_.fail(spaces[i], item, "missing required key 'name' (a variant of several spaces names each)");
      SpaceSpec s = space(spaces[i], item, e.name, variant_source);
      for (const auto& other : v.spaces)
        if (other.name == s.name) reader_.fail(spaces[i]["name"], item + ".name", "duplicate space name '" + s.name + "'");
      v.spaces.push_back(std::move(s));
    }
    return v;
  }

 private:
  // A list item that is itself a list (the alias of a list shared with another space,
  // `- *row_limits`) contributes its items, so spaces share constraints and add their own.
  void constraints(const YAML::Node& list, const std::string& path, const std::set<std::string>& known,
                   SpaceSpec& s) {
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string item_path = path + "[" + std::to_string(i) + "]";
      if (list[i].IsSequence()) {
        constraints(list[i], item_path, known, s);
        continue;
      }
      s.constraints.push_back(load_expr(reader_, list[i], item_path, known));
      s.constraint_notes.push_back(reader_.comment_above(list[i]));
    }
  }

  SpaceSpec space(const YAML::Node& node, const std::string& path, const std::string& variant_name,
                  const std::filesystem::path& inherited_source) {
    reader_.entries(node, path, {"name", "source", "params", "constraints", "defines", "default", "launches", "arch"});
    SpaceSpec s;
    s.loc = reader_.loc(node, path);
    s.name = node["name"] ? reader_.identifier(node["name"], path + ".name") : variant_name;
    if (node["source"]) s.source = resolve_kernel_file(reader_, node["source"], path + ".source", files_);
    else if (!inherited_source.empty()) s.source = inherited_source;
    else
      reader_.fail(node, path + ".source",
                   "missing required key 'source' (this space's kernel file; a `source:` at the top of the file, "
                   "or beside a variant's `spaces:`, gives the default)");
    if (node["params"]) params(node["params"], path + ".params", s);
    std::set<std::string> known = names_.dims;
    for (const auto& b : builtin_names()) known.insert(b);
    for (const auto& [name, values] : s.params) known.insert(name);
    if (const auto c = node["constraints"]) {
      reader_.expect_list(c, path + ".constraints", false);
      constraints(c, path + ".constraints", known, s);
    }
    if (const auto d = node["defines"]) {
      for (const auto& e : reader_.entries(d, path + ".defines")) {
        if (!is_identifier(e.name)) reader_.fail(e.key, e.path, "expected a macro name, got '" + e.name + "'");
        const bool clashes = std::any_of(s.params.begin(), s.params.end(), [&](const auto& p) { return p.first == e.name; });
        if (clashes || e.name.rfind("KPG_", 0) == 0)
          reader_.fail(e.key, e.path, "'" + e.name + "' is already defined (a param, or reserved KPG_ prefix)");
        s.defines.emplace_back(e.name, load_expr(reader_, e.value, e.path, known));
      }
    }
    defaults(node["default"], path + ".default", s);
    const YAML::Node launches = reader_.required(node, path, "launches");
    reader_.expect_list(launches, path + ".launches", true);
    for (size_t i = 0; i < launches.size(); ++i)
      s.launches.push_back(launch(launches[i], path + ".launches[" + std::to_string(i) + "]", s, known));
    if (const auto a = node["arch"]) {
      s.arch = reader_.string(a, path + ".arch");
      if (s.arch.rfind("sm_", 0) != 0 && s.arch.rfind("compute_", 0) != 0)
        reader_.fail(a, path + ".arch", "expected a GPU architecture such as sm_90a, got '" + s.arch + "'");
    }
    return s;
  }

  void params(const YAML::Node& node, const std::string& path, SpaceSpec& s) const {
    const auto& builtins = builtin_names();
    for (const auto& e : reader_.entries(node, path)) {
      if (!is_identifier(e.name)) reader_.fail(e.key, e.path, "expected a param name, got '" + e.name + "'");
      if (names_.dims.count(e.name) || names_.buffers.count(e.name) || names_.scalars.count(e.name) ||
          std::find(builtins.begin(), builtins.end(), e.name) != builtins.end())
        reader_.fail(e.key, e.path, "'" + e.name + "' is already a dim, buffer, scalar or builtin name");
      if (!e.value.IsSequence()) reader_.fail(e.value, e.path, "expected a list of integers (the values to try)");
      if (e.value.size() == 0) reader_.fail(e.value, e.path, "empty grid: give at least one value");
      std::vector<int64_t> values;
      for (size_t i = 0; i < e.value.size(); ++i) {
        const int64_t v = reader_.integer(e.value[i], e.path + "[" + std::to_string(i) + "]");
        if (std::find(values.begin(), values.end(), v) != values.end())
          reader_.fail(e.value[i], e.path + "[" + std::to_string(i) + "]", "duplicate value " + std::to_string(v));
        values.push_back(v);
      }
      s.params.emplace_back(e.name, std::move(values));
    }
  }

  void defaults(const YAML::Node& node, const std::string& path, SpaceSpec& s) const {
    if (!node) {
      for (const auto& [name, values] : s.params) s.defaults[name] = values.front();
      return;
    }
    std::vector<std::string> param_names;
    for (const auto& [name, values] : s.params) param_names.push_back(name);
    for (const auto& e : reader_.entries(node, path)) {
      const auto p = std::find_if(s.params.begin(), s.params.end(), [&](const auto& kv) { return kv.first == e.name; });
      if (p == s.params.end())
        reader_.fail(e.key, e.path, "'" + e.name + "' is not a param of this space (" +
                                        (param_names.empty() ? std::string("it has none") : join(param_names)) + ")");
      const int64_t v = reader_.integer(e.value, e.path);
      if (std::find(p->second.begin(), p->second.end(), v) == p->second.end()) {
        std::vector<std::string> grid;
        for (int64_t x : p->second) grid.push_back(std::to_string(x));
        reader_.fail(e.value, e.path, std::to_string(v) + " is not in the grid of " + e.name + " [" + join(grid) + "]");
      }
      s.defaults[e.name] = v;
    }
    for (const auto& name : param_names)
      if (!s.defaults.count(name)) reader_.fail(node, path, "missing a default value for " + name + " (give one per param)");
  }

  LaunchSpec launch(const YAML::Node& node, const std::string& path, const SpaceSpec& s,
                    const std::set<std::string>& known) const {
    reader_.entries(node, path, {"kernel", "args", "block", "grid", "shared_bytes"});
    LaunchSpec l;
    l.loc = reader_.loc(node, path);
    const YAML::Node kernel = reader_.required(node, path, "kernel");
    l.kernel = reader_.identifier(kernel, path + ".kernel");
    l.kernel_loc = reader_.loc(kernel, path + ".kernel");
    if (const auto args = node["args"]) {
      reader_.expect_list(args, path + ".args", false);
      for (size_t i = 0; i < args.size(); ++i) l.args.push_back(arg(args[i], path + ".args[" + std::to_string(i) + "]", s, known));
    }
    l.block = dim3(reader_.required(node, path, "block"), path + ".block", known);
    l.grid = dim3(reader_.required(node, path, "grid"), path + ".grid", known);
    if (const auto smem = node["shared_bytes"]) l.shared_bytes = load_expr(reader_, smem, path + ".shared_bytes", known);
    else l.shared_bytes = Expr::literal(0, l.loc);
    return l;
  }

  std::vector<Expr> dim3(const YAML::Node& node, const std::string& path, const std::set<std::string>& known) const {
    reader_.expect_list(node, path, true);
    if (node.size() > 3) reader_.fail(node, path, "expected 1 to 3 expressions (x, y, z), got " + std::to_string(node.size()));
    std::vector<Expr> out;
    for (size_t i = 0; i < node.size(); ++i) out.push_back(load_expr(reader_, node[i], path + "[" + std::to_string(i) + "]", known));
    return out;
  }

  ArgSpec arg(const YAML::Node& node, const std::string& path, const SpaceSpec& s, const std::set<std::string>& known) const {
    ArgSpec a;
    a.loc = reader_.loc(node, path);
    if (node.IsMap()) {
      if (node["tensor_map"] || node["box"] || node["swizzle"] || node["view"]) return tensor_map_arg(node, path, known);
      const auto entries = reader_.entries(node, path, {"i32", "i64", "f32", "tensor_map"});
      if (entries.size() != 1)
        reader_.fail(node, path, "a typed argument is one of {i32: EXPR}, {i64: EXPR}, {f32: EXPR} (or a tensor map)");
      const auto& e = entries.front();
      a.kind = e.name == "i32" ? ArgSpec::i32 : e.name == "i64" ? ArgSpec::i64 : ArgSpec::f32;
      a.name = e.name;
      a.value = load_expr(reader_, e.value, e.path, known);
      return a;
    }
    if (!node.IsScalar())
      reader_.fail(node, path,
                   "expected a buffer, dim, param or scalar name, {i32|i64|f32: EXPR} or {tensor_map: BUFFER, box: [...]}");
    a.name = node.Scalar();
    const bool is_param = std::any_of(s.params.begin(), s.params.end(), [&](const auto& p) { return p.first == a.name; });
    if (names_.buffers.count(a.name)) a.kind = ArgSpec::buffer;
    else if (names_.dims.count(a.name) || is_param) a.kind = ArgSpec::int32_name;
    else if (names_.scalars.count(a.name)) a.kind = ArgSpec::scalar_name;
    else {
      std::vector<std::string> options = names_.buffer_names();
      options.insert(options.end(), names_.dims.begin(), names_.dims.end());
      for (const auto& [name, values] : s.params) options.push_back(name);
      options.insert(options.end(), names_.scalars.begin(), names_.scalars.end());
      reader_.fail(node, path, "unknown argument '" + a.name + "'; expected one of " + join(options) +
                                   " or a typed value such as {i32: 4}");
    }
    return a;
  }

  // {tensor_map: BUFFER, box: [EXPR, ...], swizzle: none|32|64|128|EXPR, view: [EXPR, ...]}:
  // the box has one expression per dim of the tiled shape (the view, else the buffer's).
  ArgSpec tensor_map_arg(const YAML::Node& node, const std::string& path, const std::set<std::string>& known) const {
    reader_.entries(node, path, {"tensor_map", "box", "swizzle", "view"});
    ArgSpec a;
    a.kind = ArgSpec::tensor_map;
    a.loc = reader_.loc(node, path);
    const YAML::Node buffer = reader_.required(node, path, "tensor_map");
    a.name = reader_.identifier(buffer, path + ".tensor_map");
    const auto spec = names_.buffers.find(a.name);
    if (spec == names_.buffers.end())
      reader_.fail(buffer, path + ".tensor_map",
                   "no buffer named '" + a.name + "'; a tensor map tiles one of: " + join(names_.buffer_names()));
    TensorMapSpec t{spec->second.dtype, spec->second.shape, {}, {}, Expr::literal(0, a.loc)};
    std::string tiled_text = "buffer " + a.name + "'s shape";
    if (const auto view = node["view"]) {
      std::set<std::string> shape_names = names_.dims;  // a view is a shape: dims and builtins
      for (const auto& b : builtin_names()) shape_names.insert(b);
      reader_.expect_list(view, path + ".view", true);
      for (size_t i = 0; i < view.size(); ++i)
        t.view.push_back(load_expr(reader_, view[i], path + ".view[" + std::to_string(i) + "]", shape_names));
      tiled_text = "its view";
    }
    const std::vector<Expr>& tiled = t.view.empty() ? t.buffer_shape : t.view;
    std::vector<std::string> dims;
    for (const auto& e : tiled) dims.push_back(e.to_string());
    tiled_text += " [" + join(dims) + "]";
    if (tiled.size() > kTensorMapMaxRank)
      reader_.fail(node["view"] ? node["view"] : buffer, path + (node["view"] ? ".view" : ".tensor_map"),
                   "a tensor map tiles 1 to 5 dims; " + tiled_text + " has " + std::to_string(tiled.size()) +
                       " (a `view:` of fewer dims over the same elements can tile it)");
    const YAML::Node box = reader_.required(node, path, "box");
    reader_.expect_list(box, path + ".box", true);
    if (box.size() != tiled.size())
      reader_.fail(box, path + ".box", "expected " + std::to_string(tiled.size()) + " expressions, one per dim of " +
                                           tiled_text + " (innermost last), got " + std::to_string(box.size()));
    for (size_t i = 0; i < box.size(); ++i)
      t.box.push_back(load_expr(reader_, box[i], path + ".box[" + std::to_string(i) + "]", known));
    if (const auto swizzle = node["swizzle"]) t.swizzle = swizzle_expr(swizzle, path + ".swizzle", known);
    a.tensor_map_spec = std::move(t);
    return a;
  }

  // `none` or an expression of bytes; a constant one must already be a valid span.
  Expr swizzle_expr(const YAML::Node& node, const std::string& path, const std::set<std::string>& known) const {
    if (node.IsScalar() && node.Scalar() == "none") return Expr::literal(0, reader_.loc(node, path));
    Expr e = load_expr(reader_, node, path, known);
    if (!e.names().empty()) return e;  // a param's: checked per candidate
    const double bytes = e.eval({});
    const bool span =
        bytes == std::trunc(bytes) && std::abs(bytes) <= 128 && is_tensor_map_swizzle(static_cast<int64_t>(bytes));
    if (!span)
      reader_.fail(node, path, "expected none, 32, 64 or 128 (the swizzle span in bytes), or an expression of params "
                               "giving one, got " + e.to_string());
    return e;
  }

  const YamlReader& reader_;
  const ConfigNames& names_;
  const KernelFiles& files_;
};

}  // namespace

std::vector<VariantSpec> load_variants(const YamlReader& reader, const YAML::Node& node, const std::string& path,
                                       const ConfigNames& names, const KernelFiles& files) {
  const auto entries = reader.entries(node, path);
  if (entries.empty()) reader.fail(node, path, "expected at least one variant");
  VariantLoader loader(reader, names, files);
  std::vector<VariantSpec> variants;
  for (const auto& e : entries) variants.push_back(loader.variant(e));
  return variants;
}

}  // namespace kpg::detail
