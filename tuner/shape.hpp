#pragma once
// A problem shape: the op's dims and the element type of its "T" buffers.

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace kpg {

enum class DType { f32, f16, bf16, i32 };
size_t dtype_bytes(DType t);
std::string_view dtype_name(DType t);
std::optional<DType> parse_dtype(std::string_view name);

struct Shape {
  std::map<std::string, int64_t> dims;
  DType dtype = DType::f32;
  std::string to_string() const;  // "M=4096,N=781,dtype=f32"
  bool operator==(const Shape&) const = default;
};

}  // namespace kpg
