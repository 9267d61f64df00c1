#include "tuner/config.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>
#include <set>
#include <stdexcept>

#include "runtime/input_file.hpp"
#include "tuner/scope.hpp"
#include "tuner/yaml_reader.hpp"

namespace kpg {

bool OpConfig::is_flag(std::string_view dim) const {
  return std::find(flags.begin(), flags.end(), dim) != flags.end();
}

const VariantSpec* OpConfig::find_variant(std::string_view name) const {
  for (const auto& v : variants)
    if (v.name == name) return &v;
  return nullptr;
}

const BufferSpec* OpConfig::find_buffer(std::string_view name) const {
  for (const auto& b : buffers)
    if (b.name == name) return &b;
  return nullptr;
}

const SpaceSpec& OpConfig::space_of(std::string_view variant, size_t index) const {
  const VariantSpec* v = find_variant(variant);
  if (!v) throw std::out_of_range(op + " has no variant '" + std::string(variant) + "'");
  return v->spaces.at(index);
}

static void add_sources(const VariantSpec& v, std::vector<std::filesystem::path>& out) {
  for (const auto& s : v.spaces)
    if (std::find(out.begin(), out.end(), s.source) == out.end()) out.push_back(s.source);
}

std::vector<std::filesystem::path> VariantSpec::sources() const {
  std::vector<std::filesystem::path> out;
  add_sources(*this, out);
  return out;
}

std::vector<std::filesystem::path> OpConfig::sources() const {
  std::vector<std::filesystem::path> out;
  for (const auto& v : variants) add_sources(v, out);
  return out;
}

std::filesystem::path resolve_op_config(const std::string& op_or_file, const std::filesystem::path& configs_dir) {
  const std::filesystem::path given(op_or_file);
  const auto ext = given.extension();
  if (ext == ".yaml" || ext == ".yml" || op_or_file.find('/') != std::string::npos) {
    // Missing, a folder, or unreadable: said as such ("it is a folder, not a file").
    if (const std::string why = unreadable_reason(given); !why.empty())
      throw ConfigError({op_or_file, 0, 0, ""}, "cannot read the config file: " + why);
    return given;
  }
  if (op_or_file.empty()) throw ConfigError({"op", 0, 0, ""}, "the op name is empty");
  const auto path = configs_dir / (op_or_file + ".yaml");
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    if (const std::string why = unreadable_reason(path); !why.empty())
      throw ConfigError({path.string(), 0, 0, ""}, "cannot read the config file: " + why);
    return path;
  }
  std::vector<std::string> known;
  std::filesystem::directory_iterator it(configs_dir, ec);
  if (ec)
    throw ConfigError({op_or_file, 0, 0, "op"}, "cannot list the configs folder " + configs_dir.string() + ": " +
                                                    ec.message() + " (set --configs-dir or KPG_CONFIGS_DIR)");
  for (const auto& entry : it)
    if (entry.path().extension() == ".yaml") known.push_back(entry.path().stem().string());
  std::sort(known.begin(), known.end());
  throw ConfigError({op_or_file, 0, 0, "op"},
                    "unknown op (no " + path.string() + "); known ops: " + (known.empty() ? "none" : join(known)));
}

void check_shape(const OpConfig& config, const Shape& shape, const SourceLoc& where) {
  const auto at = [&](const std::string& key) {
    SourceLoc l = where;
    if (!key.empty()) l.key = where.key.empty() ? key : where.key + "." + key;
    return l;
  };
  constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();
  for (const auto& dim : config.dims) {
    const auto it = shape.dims.find(dim);
    if (it == shape.dims.end()) throw ConfigError(at(dim), "missing dim " + dim + " (the shape needs " + join(config.dims) + ")");
    if (config.is_flag(dim) && it->second != 0 && it->second != 1)
      throw ConfigError(at(dim), "is a flag: 0 or 1, got " + std::to_string(it->second));
    if (!config.is_flag(dim) && it->second < 1)
      throw ConfigError(at(dim), "must be >= 1, got " + std::to_string(it->second));
    if (it->second > kInt32Max)
      throw ConfigError(at(dim), std::to_string(it->second) + " does not fit the kernels' int32 arguments (max " +
                                     std::to_string(kInt32Max) + ")");
  }
  for (const auto& [dim, value] : shape.dims)
    if (std::find(config.dims.begin(), config.dims.end(), dim) == config.dims.end())
      throw ConfigError(at(dim), "unknown dim " + dim + "; this op's dims are " + join(config.dims));
  if (std::find(config.dtypes.begin(), config.dtypes.end(), shape.dtype) == config.dtypes.end()) {
    std::vector<std::string> names;
    for (DType t : config.dtypes) names.emplace_back(dtype_name(t));
    throw ConfigError(at("dtype"), std::string(dtype_name(shape.dtype)) + " is not one of this op's dtypes (" + join(names) + ")");
  }
  // Kernels index with int: a buffer of more than INT32_MAX elements would overflow.
  const Scope scope = make_scope(shape, {}, DeviceLimits{});
  for (const auto& buffer : config.buffers) {
    double elements = 1;
    std::string dims_text;
    for (size_t i = 0; i < buffer.shape.size(); ++i) {
      const int64_t d = buffer.shape[i].eval_int(scope);
      if (d < 1)
        throw ConfigError(at(""), "buffer '" + buffer.name + "' dimension " + std::to_string(i) + " (" +
                                          buffer.shape[i].to_string() + ") is " + std::to_string(d) + " at this shape");
      elements *= static_cast<double>(d);
      dims_text += (dims_text.empty() ? "" : " x ") + std::to_string(d);
    }
    if (elements > static_cast<double>(kInt32Max))
      throw ConfigError(at(""), "buffer '" + buffer.name + "' would have " + dims_text + " elements, more than " +
                                        std::to_string(kInt32Max) + " (kernels index with 32-bit int)");
  }
}

Shape parse_shape(std::string_view text, const OpConfig& config, std::optional<DType> dtype) {
  const auto fail = [](const std::string& key, const std::string& message) -> ConfigError {
    return ConfigError({"--shape", 0, 0, key}, message);
  };
  const auto trim = [](std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
  };
  if (trim(text).empty()) throw fail("", "empty (expected K=V,K=V,... over the dims " + join(config.dims) + ")");
  Shape shape;
  shape.dtype = dtype ? *dtype : config.dtypes.empty() ? DType::f32 : config.dtypes.front();
  bool dtype_given = false;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = std::min(text.find(',', start), text.size());
    const std::string_view item = trim(text.substr(start, comma - start));
    start = comma + 1;
    if (item.empty()) {
      if (comma == text.size()) break;
      throw fail("", "empty entry in '" + std::string(text) + "' (expected K=V,K=V,...)");
    }
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos) throw fail(std::string(item), "expected K=V, got '" + std::string(item) + "'");
    const std::string key(trim(item.substr(0, eq)));
    const std::string_view value = trim(item.substr(eq + 1));
    if (key.empty())
      throw fail("", "in '" + std::string(text) + "', '" + std::string(item) + "' has no dim name before '='");
    if (key == "dtype") {
      const auto t = parse_dtype(value);
      if (!t || *t == DType::i32) throw fail(key, "expected f32, f16 or bf16, got '" + std::string(value) + "'");
      if (dtype_given) throw fail(key, "given twice");
      shape.dtype = *t;
      dtype_given = true;
      continue;
    }
    if (std::find(config.dims.begin(), config.dims.end(), key) == config.dims.end())
      throw fail(key, "unknown dim; " + config.op + " has dims " + join(config.dims) + " (and dtype)");
    int64_t v = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
    if (value.empty() || ec != std::errc() || end != value.data() + value.size())
      throw fail(key, "expected an integer, got '" + std::string(value) + "'");
    if (!shape.dims.emplace(key, v).second) throw fail(key, "given twice");
  }
  check_shape(config, shape, {"--shape", 0, 0, ""});
  return shape;
}

bool is_op_name(const std::string& name) {
  const auto lower = [](char c) { return c >= 'a' && c <= 'z'; };
  const auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (name.empty() || !lower(name.front())) return false;
  return std::all_of(name.begin(), name.end(), [&](char c) { return lower(c) || digit(c) || c == '_' || c == '-'; });
}

}  // namespace kpg
