#include "tuner/l2_flush.hpp"

#include <algorithm>
#include <cstdint>

namespace kpg {
namespace {

// Twice the L2: its replacement is not a strict LRU over one address range, so reading
// just its size would leave some earlier lines (some of them dirty) in place.
size_t read_size(const DeviceProperties& props) {
  return static_cast<size_t>(std::max<int64_t>(props.l2_bytes, 1 << 20)) * 2;
}

}  // namespace

L2Flush::L2Flush(const DeviceProperties& props)
    : kernels_(props), reference_(read_size(props)), flush_(read_size(props)) {
  // Defined contents: the xor of zeros is never kNeverXor, so the reads store nothing.
  reference_.fill_bytes(0);
  flush_.fill_bytes(0);
}

void L2Flush::flush(CUstream stream) const {
  kernels_.read(flush_.ptr(), flush_.bytes() / StreamKernels::kChunkBytes, stream);
}

void L2Flush::reference_read(CUstream stream) const {
  kernels_.read(reference_.ptr(), reference_.bytes() / StreamKernels::kChunkBytes, stream);
}

}  // namespace kpg
