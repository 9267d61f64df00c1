#include "tuner/tensor_map_arg.hpp"

namespace kpg {
namespace {

CUtensorMapDataType tensor_map_type(DType t) {
  switch (t) {
    case DType::f32: return CU_TENSOR_MAP_DATA_TYPE_FLOAT32;
    case DType::f16: return CU_TENSOR_MAP_DATA_TYPE_FLOAT16;
    case DType::bf16: return CU_TENSOR_MAP_DATA_TYPE_BFLOAT16;
    case DType::i32: return CU_TENSOR_MAP_DATA_TYPE_INT32;
  }
  return CU_TENSOR_MAP_DATA_TYPE_FLOAT32;  // not reached: every DType is listed
}

std::vector<int64_t> eval_all(const std::vector<Expr>& exprs, const Scope& scope) {
  std::vector<int64_t> out;
  for (const auto& e : exprs) out.push_back(e.eval_int(scope));
  return out;
}

double element_count(const std::vector<int64_t>& dims) {
  double n = 1;
  for (int64_t d : dims) n *= static_cast<double>(d);
  return n;
}

}  // namespace

TensorMapLayout tensor_map_layout(const ArgSpec& arg, const Shape& shape, const Scope& scope) {
  const TensorMapSpec& t = arg.tensor_map_spec.value();
  const DType dtype = t.dtype == "T" ? shape.dtype : parse_dtype(t.dtype).value();
  TensorMapLayout layout;
  layout.data_type = tensor_map_type(dtype);
  layout.element_bytes = static_cast<int64_t>(dtype_bytes(dtype));
  layout.dims = eval_all(t.buffer_shape, scope);
  if (!t.view.empty()) {
    const std::vector<int64_t> buffer_dims = std::move(layout.dims);
    layout.dims = eval_all(t.view, scope);
    if (element_count(layout.dims) != element_count(buffer_dims))
      throw ConfigError(t.view.front().loc(), "view " + dims_text(layout.dims) + " of buffer " + arg.name + " " +
                                                  dims_text(buffer_dims) + " holds a different number of elements");
  }
  layout.box = eval_all(t.box, scope);
  layout.swizzle_bytes = t.swizzle.eval_int(scope);
  return layout;
}

std::optional<std::string> tensor_map_problem(const SpaceSpec& space, const Shape& shape, const Scope& scope) {
  for (const auto& launch : space.launches)
    for (const auto& arg : launch.args) {
      if (arg.kind != ArgSpec::tensor_map) continue;
      const std::string who = "launch " + launch.kernel + ": tensor map of " + arg.name + ": ";
      try {
        if (const auto why = tensor_map_problem(tensor_map_layout(arg, shape, scope))) return who + *why;
      } catch (const ConfigError& e) {
        return who + e.message();
      }
    }
  return std::nullopt;
}

std::string describe_tensor_map(const std::string& buffer, const TensorMapLayout& layout) {
  return "tmap(" + buffer + "," + dims_text(layout.box) +
         (layout.swizzle_bytes > 0 ? ",sw" + std::to_string(layout.swizzle_bytes) : "") + ")";
}

}  // namespace kpg
