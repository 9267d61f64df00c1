#pragma once
// TMA tensor maps: the 128-byte, 64-byte-aligned CUtensorMap a kernel takes as a
// `const __grid_constant__ CUtensorMap` parameter to load and store tiles of a global
// buffer with cp.async.bulk.tensor. Whether the driver accepts a layout is checked here
// without a GPU; encoding one takes the driver (cuTensorMapEncodeTiled).

#include <cuda.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace kpg {

// A dense row-major tensor tiled by a box. Dims are written as kpg writes shapes:
// outermost first, innermost (contiguous) last; the driver's order is the reverse.
struct TensorMapLayout {
  CUtensorMapDataType data_type = CU_TENSOR_MAP_DATA_TYPE_FLOAT32;
  int64_t element_bytes = 4;
  std::vector<int64_t> dims;  // global extent of each dim
  std::vector<int64_t> box;   // elements per tile along each dim
  int64_t swizzle_bytes = 0;  // 0 (none), 32, 64 or 128: the shared-memory bank swizzle span

  // Byte stride of each dim but the innermost, outermost first (what the driver calls
  // globalStrides, reversed).
  std::vector<int64_t> strides_bytes() const;
};

// The most dims a tensor map may have (the driver's limit).
constexpr size_t kTensorMapMaxRank = 5;

// The swizzle spans a tensor map may name (0 = none).
bool is_tensor_map_swizzle(int64_t bytes);

// Why cuTensorMapEncodeTiled would refuse `layout` whatever the address, if it would:
// rank 1..5, dims 1..2^32, box dims 1..256, the innermost box row a multiple of 16 bytes
// and (with a swizzle) exactly the swizzle span, row strides multiples of 16 bytes below
// 2^40. The span rule is stricter than the driver's, which encodes narrower rows that the
// TMA unit then lays out a whole span apart, past a tile sized by its elements. Reasons
// name the rule and the limit, so that candidates failing the same rule read the same.
std::optional<std::string> tensor_map_problem(const TensorMapLayout& layout);

// Writes the tensor map of `layout` over the buffer at `address` into `map`. The launch
// plan takes one as a seam: the driver's below, or a fake in tests without a GPU.
using TensorMapEncoder = std::function<void(const TensorMapLayout& layout, CUdeviceptr address, CUtensorMap& map)>;

// cuTensorMapEncodeTiled through the loaded driver: interleave none, element strides 1,
// out-of-bounds elements read as zero, L2 promotion of 256 bytes. A refusal throws Error
// (not CudaError: nothing ran on the device, the context is intact) with the driver's
// reason and the layout.
void encode_tensor_map(const TensorMapLayout& layout, CUdeviceptr address, CUtensorMap& map);

// "[64,128]" for messages.
std::string dims_text(const std::vector<int64_t>& dims);

}  // namespace kpg
