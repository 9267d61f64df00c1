#include "tuner/shape.hpp"

namespace kpg {

size_t dtype_bytes(DType t) {
  switch (t) {
    case DType::f32: return 4;
    case DType::f16: return 2;
    case DType::bf16: return 2;
    case DType::i32: return 4;
  }
  return 0;
}

std::string_view dtype_name(DType t) {
  switch (t) {
    case DType::f32: return "f32";
    case DType::f16: return "f16";
    case DType::bf16: return "bf16";
    case DType::i32: return "i32";
  }
  return "?";
}

std::optional<DType> parse_dtype(std::string_view name) {
  for (DType t : {DType::f32, DType::f16, DType::bf16, DType::i32})
    if (dtype_name(t) == name) return t;
  return std::nullopt;
}

std::string Shape::to_string() const {
  std::string s;
  for (const auto& [name, value] : dims) s += name + "=" + std::to_string(value) + ",";
  return s + "dtype=" + std::string(dtype_name(dtype));
}

}  // namespace kpg
