#pragma once
// Bytes each kernel of an op variant must move through device memory, counted from the
// op's config (configs/<op>.yaml): its launches' buffer arguments and the buffers' sizes
// at one shape. No GPU needed.
//
// Read or written? The schema does not say per launch, so the counting rule is:
//   - an input buffer (one with `init`) is read by every launch that takes it;
//   - an output or scratch buffer is written by the first launch of the space that takes
//     it, and read by every later launch that takes it.
// It fits every launch chain in configs/ (softmax: max reads x writes rowmax; sub_exp
// reads x, rowmax writes e; sum reads e writes rowsum; div reads e, rowsum writes y).
// It would be wrong for a kernel that updates a buffer in place or writes it a second
// time; a per-launch `writes: [y]` key in the schema would make such chains countable.
//
// "Must move" is the compulsory traffic: each buffer argument once, in full. A kernel
// that re-reads its input (a two-pass online softmax, attention's K and V per query tile)
// moves more, unless the second read hits in L2; hardware counters show which.

#include <cstdint>
#include <string>
#include <vector>

#include "tuner/config.hpp"
#include "tuner/space.hpp"

namespace kpg::memory {

struct BufferTraffic {
  std::string buffer;
  int64_t bytes = 0;
};

struct KernelTraffic {
  std::string kernel;
  std::vector<BufferTraffic> reads, writes;
  double flops = 0;  // the lesson's count (flop_count.hpp); 0 when unknown
  bool tensor_core = false;  // its flops are matrix products on tensor cores (roofline ceiling)
  int64_t read_bytes() const;
  int64_t write_bytes() const;
  int64_t total_bytes() const { return read_bytes() + write_bytes(); }
};

struct VariantTraffic {
  std::string op, variant, space;
  std::string note;  // where the numbers come from, when not from the config alone
  std::vector<KernelTraffic> kernels;
  int64_t read_bytes() const;
  int64_t write_bytes() const;
  int64_t total_bytes() const { return read_bytes() + write_bytes(); }
  double flops() const;
};

// Bytes of one buffer of the config at the shape (elements x element size; `T` is the
// shape's dtype). Throws kpg::Error for an unknown buffer.
int64_t buffer_bytes(const OpConfig& config, const std::string& buffer, const Shape& shape,
                     const DeviceLimits& limits);

// The traffic of every launch of one space of a variant, by the rule above.
VariantTraffic count_traffic(const OpConfig& config, const VariantSpec& variant, size_t space_index,
                             const Shape& shape, const DeviceLimits& limits);

// The space of the variant named by a candidate id ("space:K=V,..."; the first space
// when the id names none of them).
size_t space_index_of(const VariantSpec& variant, const std::string& candidate_id);

// The space a lesson shows without a GPU: the first whose constraints hold at the shape
// with its default params (the one most likely to be chosen), else the first.
size_t theory_space_index(const VariantSpec& variant, const Shape& shape, const DeviceLimits& limits);

// Attention as eager code runs it (S = Q K^T, softmax in float32, O = P V, as PyTorch's
// math backend does), modelled from the shape because configs/attention.yaml
// has no unfused variant. Labelled as modelled in `note`.
VariantTraffic eager_attention_traffic(const Shape& shape);

}  // namespace kpg::memory
