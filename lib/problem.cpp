#include "lib/problem.hpp"

#include <algorithm>

#include "runtime/error.hpp"
#include "tuner/config_error.hpp"

namespace kpg {
namespace {

std::string join_dims(const std::vector<int64_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

std::string join_exprs(const std::vector<Expr>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + shape[i].to_string();
  return s + "]";
}

// The dim an expression is when it is a dim's name alone (`N`, not `{add: [N, 1]}`).
std::optional<std::string> bare_dim(const OpConfig& config, const Expr& e) {
  const auto names = e.names();
  if (names.size() != 1 || e.to_string() != *names.begin()) return std::nullopt;
  if (std::find(config.dims.begin(), config.dims.end(), *names.begin()) == config.dims.end()) return std::nullopt;
  return *names.begin();
}

BufferRole role_of(BufferSpec::Role r) {
  switch (r) {
    case BufferSpec::input: return BufferRole::input;
    case BufferSpec::output: return BufferRole::output;
    case BufferSpec::scratch: return BufferRole::scratch;
  }
  return BufferRole::input;
}

}  // namespace

Shape to_shape(const OpConfig& config, const Problem& problem) {
  const SourceLoc where{config.op + " problem", 0, 0, ""};
  const auto dtype = parse_dtype(problem.dtype);
  if (!dtype || *dtype == DType::i32)
    throw ConfigError({where.file, 0, 0, "dtype"}, "expected f32, f16 or bf16, got '" + problem.dtype + "'");
  Shape shape{problem.dims, *dtype};
  check_shape(config, shape, where);
  return shape;
}

Problem to_problem(const Shape& shape) { return Problem{shape.dims, std::string(dtype_name(shape.dtype))}; }

BufferInfo buffer_info(const BufferSpec& spec, const Shape& shape, const DeviceLimits& limits) {
  const Scope scope = make_scope(shape, {}, limits);
  BufferInfo info;
  info.name = spec.name;
  info.role = role_of(spec.role);
  info.dtype = spec.dtype == "T" ? std::string(dtype_name(shape.dtype)) : spec.dtype;
  for (const auto& e : spec.shape) info.dims.push_back(e.eval_int(scope));
  return info;
}

std::vector<BufferInfo> buffer_infos(const OpConfig& config, const Shape& shape) {
  std::vector<BufferInfo> out;
  for (const auto& spec : config.buffers) out.push_back(buffer_info(spec, shape, DeviceLimits{}));
  return out;
}

std::vector<BufferInfo> io_infos(const OpConfig& config, const Shape& shape) {
  std::vector<BufferInfo> out;
  for (const auto role : {BufferSpec::input, BufferSpec::output})
    for (const auto& spec : config.buffers)
      if (spec.role == role) out.push_back(buffer_info(spec, shape, DeviceLimits{}));
  return out;
}

int64_t min_bytes(const OpConfig& config, const Shape& shape) {
  int64_t bytes = 0;
  for (const auto& b : io_infos(config, shape)) bytes += b.bytes();
  return bytes;
}

std::optional<double> flops(const OpConfig& config, const Shape& shape) {
  if (!config.flops) return std::nullopt;
  return config.flops->eval(make_scope(shape, {}, DeviceLimits{}));
}

Problem problem_for(const OpConfig& config, const std::vector<std::vector<int64_t>>& input_dims,
                    const std::string& dtype, const std::map<std::string, int64_t>& given) {
  std::vector<const BufferSpec*> inputs;
  std::string names;
  for (const auto& spec : config.buffers)
    if (spec.role == BufferSpec::input) {
      inputs.push_back(&spec);
      names += (names.empty() ? "" : ", ") + spec.name;
    }
  if (input_dims.size() != inputs.size())
    throw InputError(config.op + " takes " + std::to_string(inputs.size()) + " input(s) (" + names + "), got " +
                     std::to_string(input_dims.size()));
  Problem problem{{}, dtype};
  for (const auto& [dim, value] : given) {
    if (std::find(config.dims.begin(), config.dims.end(), dim) == config.dims.end())
      throw InputError(config.op + ": unknown dim " + dim);
    problem.dims[dim] = value;
  }
  // Each input's dims as its YAML shape sees them: leading dims merged into the first.
  std::vector<std::vector<int64_t>> seen;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const auto& spec = *inputs[i];
    std::vector<int64_t> dims = input_dims[i];
    const size_t rank = spec.shape.size();
    if (dims.size() < rank)
      throw InputError(config.op + ": input '" + spec.name + "' has " + std::to_string(dims.size()) +
                       " dim(s) " + join_dims(dims) + "; it needs " + std::to_string(rank) + ": " +
                       join_exprs(spec.shape));
    while (dims.size() > rank) {
      dims[1] *= dims[0];
      dims.erase(dims.begin());
    }
    for (size_t j = 0; j < rank; ++j)
      if (const auto dim = bare_dim(config, spec.shape[j])) problem.dims.emplace(*dim, dims[j]);
    seen.push_back(std::move(dims));
  }
  for (const auto& dim : config.dims) {
    if (problem.dims.count(dim)) continue;
    if (!config.is_flag(dim))
      throw InputError(config.op + ": no input's shape gives dim " + dim + "; pass it explicitly");
    problem.dims[dim] = 0;
  }
  const Shape shape = to_shape(config, problem);
  for (size_t i = 0; i < inputs.size(); ++i) {
    const BufferInfo expected = buffer_info(*inputs[i], shape, DeviceLimits{});
    if (expected.dims != seen[i])
      throw InputError(config.op + ": input '" + inputs[i]->name + "' has dims " + join_dims(seen[i]) +
                       ", expected " + join_exprs(inputs[i]->shape) + " = " + join_dims(expected.dims) + " at " +
                       shape.to_string());
  }
  return problem;
}

}  // namespace kpg
