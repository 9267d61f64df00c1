// load_config: the top level of an op config (everything but the variants), validated
// in file-independent order so that the first problem found is the one reported.

#include <algorithm>
#include <fstream>
#include <sstream>

#include "runtime/input_file.hpp"
#include "tuner/config.hpp"
#include "tuner/config_loader.hpp"
#include "tuner/references.hpp"
#include "tuner/scope.hpp"

namespace kpg {
namespace detail {

Expr load_expr(const YamlReader& reader, const YAML::Node& node, const std::string& path,
               const std::set<std::string>& known) {
  Expr e = Expr::parse(node, reader.loc(node, path));
  for (const auto& [name, where] : e.name_uses()) {
    if (known.count(name)) continue;
    std::vector<std::string> names(known.begin(), known.end());
    throw ConfigError(where, "unknown name '" + name + "'; names here: " + join(names));
  }
  return e;
}

std::filesystem::path resolve_kernel_file(const YamlReader& reader, const YAML::Node& node, const std::string& path,
                                          const KernelFiles& files) {
  const std::filesystem::path given(reader.string(node, path));
  std::vector<std::filesystem::path> tried;
  if (given.is_absolute()) {
    tried.push_back(given);
  } else {
    tried.push_back(files.kernels_dir / given);
    tried.push_back(files.config_dir / given);
  }
  for (const auto& file : tried) {
    std::error_code ec;
    if (std::filesystem::status(file, ec).type() == std::filesystem::file_type::not_found) continue;
    // There but not readable (a folder, no permission): said so, not "not found".
    if (const std::string why = unreadable_reason(file); !why.empty())
      reader.fail(node, path, "cannot read kernel file " + file.string() + ": " + why);
    return std::filesystem::absolute(file).lexically_normal();
  }
  std::vector<std::string> names;
  for (const auto& p : tried) names.push_back(p.string());
  reader.fail(node, path, "kernel file '" + given.string() + "' not found (looked for " + join(names, " and ") + ")");
}

}  // namespace detail

namespace {

using detail::ConfigNames;
using detail::load_expr;

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::error_code ec;
  if (!in || std::filesystem::is_directory(path, ec))
    throw ConfigError({path.string(), 0, 0, ""}, "cannot read the config file (missing, a directory or no permission)");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

YAML::Node parse_yaml(const std::string& text, const std::string& file) {
  try {
    return YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    throw ConfigError({file, e.mark.line + 1, e.mark.column + 1, ""}, "malformed YAML: " + e.msg);
  } catch (const YAML::Exception& e) {
    throw ConfigError({file, e.mark.line >= 0 ? e.mark.line + 1 : 0, e.mark.column + 1, ""}, "malformed YAML: " + e.msg);
  }
}

class TopLevelLoader {
 public:
  TopLevelLoader(const std::filesystem::path& file, const std::string& text, const std::filesystem::path& kernels_dir)
      : reader_(file.string(), text), kernels_dir_(kernels_dir) {
    config_.file = file;
  }

  OpConfig load(const YAML::Node& root) {
    if (!root.IsMap()) reader_.fail(root, "", "an op config is a map of keys (op, source, dims, ...); got none");
    reader_.entries(root, "", {"op", "description", "source", "dims", "flags", "dtypes", "shapes", "cache_key", "buffers",
                               "scalars", "reference", "tolerance", "timing", "flops", "variants"});
    op(reader_.required(root, "", "op"));
    if (root["description"]) config_.description = reader_.string(root["description"], "description");
    detail::KernelFiles files{kernels_dir_, config_.file.parent_path(), {}};
    if (root["source"])
      files.op_source = config_.source = detail::resolve_kernel_file(reader_, root["source"], "source", files);
    dims(reader_.required(root, "", "dims"));
    if (root["flags"]) flags(root["flags"]);
    dtypes(root["dtypes"]);
    if (root["scalars"]) scalars(root["scalars"]);
    buffers(reader_.required(root, "", "buffers"));
    cache_key(root["cache_key"]);
    reference(reader_.required(root, "", "reference"));
    if (root["tolerance"]) tolerance(root["tolerance"]);
    if (root["timing"]) timing(root["timing"]);
    if (root["flops"]) config_.flops = load_expr(reader_, root["flops"], "flops", shape_names());
    config_.variants =
        detail::load_variants(reader_, reader_.required(root, "", "variants"), "variants", names_, files);
    if (!config_.reference.variant.empty() && !config_.find_variant(config_.reference.variant)) {
      std::vector<std::string> known;
      for (const auto& v : config_.variants) known.push_back(v.name);
      reader_.fail(root["reference"]["variant"], "reference.variant",
                   "no variant named '" + config_.reference.variant + "'; variants: " + join(known));
    }
    if (root["shapes"]) shapes(root["shapes"]);
    return std::move(config_);
  }

 private:
  void op(const YAML::Node& node) {
    const std::string s = reader_.string(node, "op");
    if (!is_op_name(s)) reader_.fail(node, "op", "expected a name matching [a-z][a-z0-9_-]*, got '" + s + "'");
    config_.op = s;
  }

  void dims(const YAML::Node& node) {
    reader_.expect_list(node, "dims", true);
    const auto& builtins = builtin_names();
    for (size_t i = 0; i < node.size(); ++i) {
      const std::string path = "dims[" + std::to_string(i) + "]";
      const std::string name = reader_.identifier(node[i], path);
      const bool upper = std::all_of(name.begin(), name.end(), [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'; });
      if (!upper) reader_.fail(node[i], path, "dims are named in UPPER case, got '" + name + "'");
      if (std::find(builtins.begin(), builtins.end(), name) != builtins.end())
        reader_.fail(node[i], path, "'" + name + "' is a builtin name (" + join(builtins) + ")");
      if (!names_.dims.insert(name).second) reader_.fail(node[i], path, "duplicate dim '" + name + "'");
      config_.dims.push_back(name);
    }
  }

  void flags(const YAML::Node& node) {
    reader_.expect_list(node, "flags", true);
    for (size_t i = 0; i < node.size(); ++i) {
      const std::string path = "flags[" + std::to_string(i) + "]";
      const std::string name = reader_.identifier(node[i], path);
      if (!names_.dims.count(name)) reader_.fail(node[i], path, "'" + name + "' is not a dim (" + join(config_.dims) + ")");
      config_.flags.push_back(name);
    }
  }

  void dtypes(const YAML::Node& node) {
    if (!node) {
      config_.dtypes = {DType::f32};
      return;
    }
    reader_.expect_list(node, "dtypes", true);
    for (size_t i = 0; i < node.size(); ++i) {
      const std::string path = "dtypes[" + std::to_string(i) + "]";
      const std::string s = reader_.string(node[i], path);
      const auto t = parse_dtype(s);
      if (!t || *t == DType::i32) reader_.fail(node[i], path, "expected f32, f16 or bf16, got '" + s + "'");
      if (std::find(config_.dtypes.begin(), config_.dtypes.end(), *t) != config_.dtypes.end())
        reader_.fail(node[i], path, "duplicate dtype '" + s + "'");
      config_.dtypes.push_back(*t);
    }
  }

  std::set<std::string> shape_names() const {
    std::set<std::string> known = names_.dims;
    for (const auto& b : builtin_names()) known.insert(b);
    return known;
  }

  // A new name for the flat namespace of dims, buffers, scalars and params.
  void check_new_name(const YAML::Node& key, const std::string& path, const std::string& name) const {
    const auto& builtins = builtin_names();
    if (names_.dims.count(name) || names_.buffers.count(name) || names_.scalars.count(name) ||
        std::find(builtins.begin(), builtins.end(), name) != builtins.end())
      reader_.fail(key, path, "'" + name + "' is already a dim, buffer, scalar or builtin name");
  }

  void scalars(const YAML::Node& node) {
    for (const auto& e : reader_.entries(node, "scalars")) {
      if (!is_identifier(e.name)) reader_.fail(e.key, e.path, "expected a name, got '" + e.name + "'");
      check_new_name(e.key, e.path, e.name);
      config_.scalars.emplace_back(e.name, load_expr(reader_, e.value, e.path, shape_names()));
      names_.scalars.insert(e.name);
    }
  }

  void buffers(const YAML::Node& node) {
    const auto entries = reader_.entries(node, "buffers");
    if (entries.empty()) reader_.fail(node, "buffers", "expected at least one buffer");
    for (const auto& e : entries) {
      if (!is_identifier(e.name)) reader_.fail(e.key, e.path, "expected a buffer name, got '" + e.name + "'");
      check_new_name(e.key, e.path, e.name);
      reader_.entries(e.value, e.path, {"dtype", "shape", "init", "output", "scratch"});
      BufferSpec b;
      b.name = e.name;
      b.loc = reader_.loc(e.key, e.path);
      b.dtype = "T";
      if (const auto d = e.value["dtype"]) {
        b.dtype = reader_.string(d, e.path + ".dtype");
        if (b.dtype != "T" && !parse_dtype(b.dtype))
          reader_.fail(d, e.path + ".dtype", "expected T, f32, f16, bf16 or i32, got '" + b.dtype + "'");
      }
      const YAML::Node shape = reader_.required(e.value, e.path, "shape");
      reader_.expect_list(shape, e.path + ".shape", true);
      for (size_t i = 0; i < shape.size(); ++i)
        b.shape.push_back(load_expr(reader_, shape[i], e.path + ".shape[" + std::to_string(i) + "]", shape_names()));
      const bool output = e.value["output"] && reader_.boolean(e.value["output"], e.path + ".output");
      const bool scratch = e.value["scratch"] && reader_.boolean(e.value["scratch"], e.path + ".scratch");
      if (output && scratch) reader_.fail(e.value["scratch"], e.path + ".scratch", "a buffer is an output or scratch, not both");
      b.role = output ? BufferSpec::output : scratch ? BufferSpec::scratch : BufferSpec::input;
      if (const auto init = e.value["init"]) {
        if (b.role != BufferSpec::input)
          reader_.fail(init, e.path + ".init", "only inputs have init (this buffer is an output or scratch)");
        b.init = init_spec(init, e.path + ".init");
      }
      names_.buffers.emplace(b.name, b);
      config_.buffers.push_back(std::move(b));
    }
    const bool any_output = std::any_of(config_.buffers.begin(), config_.buffers.end(),
                                        [](const BufferSpec& b) { return b.role == BufferSpec::output; });
    if (!any_output) reader_.fail(node, "buffers", "no buffer is marked `output: true`: nothing could be checked");
  }

  InitSpec init_spec(const YAML::Node& node, const std::string& path) const {
    const auto entries = reader_.entries(node, path, {"normal", "uniform", "constant", "iota"});
    if (entries.size() != 1)
      reader_.fail(node, path, "expected exactly one of {normal: [mean, std]}, {uniform: [lo, hi]}, {constant: v}, {iota: {}}");
    const auto& e = entries.front();
    InitSpec init;
    if (e.name == "normal" || e.name == "uniform") {
      reader_.expect_list(e.value, e.path, false);
      if (e.value.size() != 2) reader_.fail(e.value, e.path, "expected two numbers, got " + std::to_string(e.value.size()));
      init.kind = e.name == "normal" ? InitSpec::normal : InitSpec::uniform;
      init.a = reader_.number(e.value[0], e.path + "[0]");
      init.b = reader_.number(e.value[1], e.path + "[1]");
      if (init.kind == InitSpec::normal && init.b < 0) reader_.fail(e.value[1], e.path + "[1]", "the standard deviation must be >= 0");
      if (init.kind == InitSpec::uniform && init.b < init.a) reader_.fail(e.value[1], e.path + "[1]", "hi must be >= lo");
    } else if (e.name == "constant") {
      init.kind = InitSpec::constant;
      init.a = reader_.number(e.value, e.path);
    } else {
      init.kind = InitSpec::iota;
      if (!e.value.IsNull() && !(e.value.IsMap() && e.value.size() == 0))
        reader_.fail(e.value, e.path, "iota takes no arguments: write {iota: {}}");
    }
    return init;
  }

  void shapes(const YAML::Node& node) {
    reader_.expect_list(node, "shapes", false);
    for (size_t i = 0; i < node.size(); ++i) {
      const std::string path = "shapes[" + std::to_string(i) + "]";
      Shape shape;
      shape.dtype = config_.dtypes.front();
      for (const auto& e : reader_.entries(node[i], path)) {
        if (e.name == "dtype") {
          const std::string s = reader_.string(e.value, e.path);
          const auto t = parse_dtype(s);
          if (!t || std::find(config_.dtypes.begin(), config_.dtypes.end(), *t) == config_.dtypes.end())
            reader_.fail(e.value, e.path, "'" + s + "' is not one of this op's dtypes");
          shape.dtype = *t;
          continue;
        }
        if (!names_.dims.count(e.name))
          reader_.fail(e.key, e.path, "unknown dim '" + e.name + "'; expected " + join(config_.dims) + " and dtype");
        const int64_t v = reader_.integer(e.value, e.path);
        if (config_.is_flag(e.name) && v != 0 && v != 1)
          reader_.fail(e.value, e.path, "is a flag: 0 or 1, got " + std::to_string(v));
        if (!config_.is_flag(e.name) && v < 1) reader_.fail(e.value, e.path, "must be >= 1, got " + std::to_string(v));
        shape.dims[e.name] = v;
      }
      for (const auto& dim : config_.dims)
        if (!shape.dims.count(dim)) reader_.fail(node[i], path, "missing dim " + dim + " (every shape gives " + join(config_.dims) + ")");
      check_shape(config_, shape, reader_.loc(node[i], path));
      config_.shapes.push_back(std::move(shape));
    }
  }

  void cache_key(const YAML::Node& node) {
    for (const auto& dim : config_.dims) config_.cache_key[dim] = "exact";
    if (!node) return;
    for (const auto& e : reader_.entries(node, "cache_key")) {
      if (!names_.dims.count(e.name)) reader_.fail(e.key, e.path, "'" + e.name + "' is not a dim (" + join(config_.dims) + ")");
      const std::string policy = reader_.string(e.value, e.path);
      if (policy != "exact" && policy != "pow2") reader_.fail(e.value, e.path, "expected exact or pow2, got '" + policy + "'");
      config_.cache_key[e.name] = policy;
    }
  }

  void reference(const YAML::Node& node) {
    const auto entries = reader_.entries(node, "reference", {"builtin", "variant"});
    if (entries.size() != 1) reader_.fail(node, "reference", "expected exactly one of {builtin: NAME} or {variant: NAME}");
    const auto& e = entries.front();
    const std::string name = reader_.string(e.value, e.path);
    if (e.name == "variant") {
      config_.reference.variant = name;  // checked once the variants are loaded
      return;
    }
    if (!find_builtin_reference(name))
      reader_.fail(e.value, e.path, "no builtin reference '" + name + "'; builtins: " + join(builtin_reference_names()));
    config_.reference.builtin = name;
  }

  void tolerance(const YAML::Node& node) {
    for (const auto& e : reader_.entries(node, "tolerance", {"f32", "f16", "bf16"})) {
      reader_.entries(e.value, e.path, {"abs", "rel"});
      Tolerance t;
      t.abs = reader_.number(reader_.required(e.value, e.path, "abs"), e.path + ".abs");
      t.rel = reader_.number(reader_.required(e.value, e.path, "rel"), e.path + ".rel");
      if (t.abs < 0) reader_.fail(e.value["abs"], e.path + ".abs", "must be >= 0");
      if (t.rel < 0) reader_.fail(e.value["rel"], e.path + ".rel", "must be >= 0");
      config_.tolerance[*parse_dtype(e.name)] = t;
    }
  }

  void timing(const YAML::Node& node) {
    TimingSettings& t = config_.timing;
    for (const auto& e : reader_.entries(node, "timing", {"warmup_ms", "rep_ms", "min_reps", "max_reps", "graph_below_us"})) {
      if (e.name == "min_reps" || e.name == "max_reps") {
        const int64_t v = reader_.integer(e.value, e.path);
        if (v < 1 || v > 1000000) reader_.fail(e.value, e.path, "expected 1 to 1000000, got " + std::to_string(v));
        (e.name == "min_reps" ? t.min_reps : t.max_reps) = static_cast<int>(v);
        continue;
      }
      const double v = reader_.number(e.value, e.path);
      if (v < 0 || (e.name == "rep_ms" && v == 0)) reader_.fail(e.value, e.path, e.name == "rep_ms" ? "must be > 0" : "must be >= 0");
      (e.name == "warmup_ms" ? t.warmup_ms : e.name == "rep_ms" ? t.rep_ms : t.graph_below_us) = v;
    }
    if (t.max_reps < t.min_reps)
      reader_.fail(node, "timing.max_reps", "max_reps (" + std::to_string(t.max_reps) + ") is below min_reps (" +
                                                std::to_string(t.min_reps) + ")");
  }

  YamlReader reader_;
  std::filesystem::path kernels_dir_;
  OpConfig config_;
  ConfigNames names_;
};

}  // namespace

OpConfig load_config_text(const std::string& yaml_text, const std::filesystem::path& name,
                          const std::filesystem::path& kernels_dir) {
  const YAML::Node root = parse_yaml(yaml_text, name.string());
  try {
    return TopLevelLoader(name, yaml_text, kernels_dir).load(root);
  } catch (const YAML::Exception& e) {
    // A yaml-cpp accessor met a node of a shape the checks before it let through: still
    // bad input, reported at the node (fuzz-found shapes get a check of their own).
    throw ConfigError({name.string(), e.mark.line >= 0 ? e.mark.line + 1 : 0, e.mark.line >= 0 ? e.mark.column + 1 : 0, ""},
                      "unexpected YAML structure: " + e.msg);
  }
}

OpConfig load_config(const std::filesystem::path& yaml_file, const std::filesystem::path& kernels_dir) {
  return load_config_text(read_file(yaml_file), yaml_file, kernels_dir);
}

}  // namespace kpg
