#include "runtime/tensor_map.hpp"

#include <algorithm>
#include <array>
#include <limits>

#include "runtime/driver.hpp"
#include "runtime/error.hpp"

namespace kpg {
namespace {

// The driver's limits (cuda.h, cuTensorMapEncodeTiled).
constexpr int64_t kMaxBoxDim = 256;
constexpr int64_t kMaxGlobalDim = int64_t{1} << 32;
constexpr int64_t kMaxStrideBytes = int64_t{1} << 40;
constexpr int64_t kAlignBytes = 16;  // of the innermost box row and of every stride

CUtensorMapSwizzle swizzle_mode(int64_t bytes) {
  switch (bytes) {
    case 32: return CU_TENSOR_MAP_SWIZZLE_32B;
    case 64: return CU_TENSOR_MAP_SWIZZLE_64B;
    case 128: return CU_TENSOR_MAP_SWIZZLE_128B;
    default: return CU_TENSOR_MAP_SWIZZLE_NONE;
  }
}

}  // namespace

std::string dims_text(const std::vector<int64_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? "," : "") + std::to_string(dims[i]);
  return s + "]";
}

std::vector<int64_t> TensorMapLayout::strides_bytes() const {
  std::vector<int64_t> strides(dims.empty() ? 0 : dims.size() - 1);
  int64_t bytes = element_bytes;
  for (size_t i = dims.size(); i-- > 1;) {
    // Saturates instead of overflowing: any stride this large breaks the 2^40 rule anyway.
    const bool overflows = dims[i] > 0 && bytes > std::numeric_limits<int64_t>::max() / dims[i];
    bytes = overflows ? std::numeric_limits<int64_t>::max() : bytes * dims[i];
    strides[i - 1] = bytes;
  }
  return strides;
}

bool is_tensor_map_swizzle(int64_t bytes) { return bytes == 0 || bytes == 32 || bytes == 64 || bytes == 128; }

std::optional<std::string> tensor_map_problem(const TensorMapLayout& l) {
  if (l.dims.empty() || l.dims.size() > kTensorMapMaxRank)
    return "rank " + std::to_string(l.dims.size()) + " outside 1..5";
  if (l.box.size() != l.dims.size())
    return std::to_string(l.box.size()) + " box dims for " + std::to_string(l.dims.size()) + " dims";
  for (size_t i = 0; i < l.dims.size(); ++i)
    if (l.dims[i] < 1 || l.dims[i] > kMaxGlobalDim) return "dim " + std::to_string(i) + " outside 1..2^32";
  for (size_t i = 0; i < l.box.size(); ++i)
    if (l.box[i] < 1 || l.box[i] > kMaxBoxDim) return "box dim " + std::to_string(i) + " outside 1..256";
  if (!is_tensor_map_swizzle(l.swizzle_bytes)) return "swizzle is not none, 32, 64 or 128 bytes";
  const int64_t inner_bytes = l.box.back() * l.element_bytes;
  if (inner_bytes % kAlignBytes != 0) return "innermost box row not a multiple of 16 bytes";
  // The driver also encodes a narrower swizzled row, but the TMA unit lays a swizzled box out
  // in rows of the whole span: a tile sized by its elements is then overrun (an illegal
  // address). A swizzled row that fills its span keeps a tile's shared memory its own size.
  if (l.swizzle_bytes > 0 && inner_bytes != l.swizzle_bytes)
    return "innermost box row not as wide as its " + std::to_string(l.swizzle_bytes) + "-byte swizzle span";
  const auto strides = l.strides_bytes();
  for (size_t i = 0; i < strides.size(); ++i) {
    // Strides follow from the shape: the same for every candidate at a shape, so named.
    if (strides[i] >= kMaxStrideBytes) return "stride of dim " + std::to_string(i) + " at or above 2^40 bytes";
    if (strides[i] % kAlignBytes != 0)
      return "stride of dim " + std::to_string(i) + " is " + std::to_string(strides[i]) + " bytes, not a multiple of 16";
  }
  return std::nullopt;
}

void encode_tensor_map(const TensorMapLayout& l, CUdeviceptr address, CUtensorMap& map) {
  if (const auto why = tensor_map_problem(l)) throw Error("tensor map " + dims_text(l.dims) + ": " + *why);
  const size_t rank = l.dims.size();
  // The driver lists dims innermost first.
  std::array<cuuint64_t, kTensorMapMaxRank> dims{}, strides{};
  std::array<cuuint32_t, kTensorMapMaxRank> box{}, element_strides{};
  const auto row_strides = l.strides_bytes();
  for (size_t i = 0; i < rank; ++i) {
    dims[i] = static_cast<cuuint64_t>(l.dims[rank - 1 - i]);
    box[i] = static_cast<cuuint32_t>(l.box[rank - 1 - i]);
    element_strides[i] = 1;
    if (i + 1 < rank) strides[i] = static_cast<cuuint64_t>(row_strides[rank - 2 - i]);
  }
  const CUresult r = driver().cuTensorMapEncodeTiled(
      &map, l.data_type, static_cast<cuuint32_t>(rank), reinterpret_cast<void*>(address), dims.data(),
      strides.data(), box.data(), element_strides.data(), CU_TENSOR_MAP_INTERLEAVE_NONE,
      swizzle_mode(l.swizzle_bytes), CU_TENSOR_MAP_L2_PROMOTION_L2_256B, CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE);
  if (r != CUDA_SUCCESS)
    throw Error("cuTensorMapEncodeTiled refused dims " + dims_text(l.dims) + ", box " + dims_text(l.box) +
                ", swizzle " + std::to_string(l.swizzle_bytes) + " at address " + std::to_string(address) + ": " +
                cuda_error_text(r));
}

}  // namespace kpg
