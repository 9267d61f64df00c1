#pragma once
// The buffers of one op at one problem shape: fresh random inputs, poisoned outputs,
// the float64 reference and the comparison of what a candidate wrote against it.

#include <cuda.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "runtime/buffer.hpp"
#include "tuner/config.hpp"
#include "tuner/output_check.hpp"
#include "tuner/references.hpp"
#include "tuner/scope.hpp"

namespace kpg {

class Workload {
 public:
  Workload(const OpConfig& config, const Shape& shape, const DeviceLimits& limits);

  // New random inputs (host and device). The reference is recomputed on next use.
  void randomize(uint64_t seed);
  // Replace one input with given values (rounded to its dtype), e.g. special values.
  void set_input(const std::string& name, const std::vector<double>& values);
  // Every output byte 0xFF: NaN in f32/f16/bf16, so an unwritten element fails the check.
  void poison_outputs(CUstream stream);
  // Float64 expected outputs of the config's reference for the current inputs.
  const std::map<std::string, HostTensor>& reference();
  // For `reference: {variant: NAME}`: the tuner computes it by running that variant.
  void set_reference(std::map<std::string, HostTensor> expected) {
    reference_ = std::move(expected);
    checked_rows_.reset();
  }
  // A reference valid on some rows only (when the full one is too slow to compute): check()
  // compares just those. Every output is viewed as R equal rows, R = the element count of
  // the smallest expected output (attention: B*H*N, so o rows of D and lse rows of 1).
  // `expected` has the outputs' full shapes; other rows are ignored. randomize() clears it.
  // Rows outside [0, R) throw in check().
  void set_reference_sampled(std::map<std::string, HostTensor> expected, std::vector<int64_t> rows_checked) {
    reference_ = std::move(expected);
    checked_rows_ = std::move(rows_checked);
  }
  bool has_reference() const { return reference_.has_value(); }
  // Every output as a zero-filled host tensor of its shape: what a reference fills in.
  std::map<std::string, HostTensor> zero_outputs() const;
  // What the device holds now in every output buffer, as float64.
  std::map<std::string, HostTensor> download_outputs() const;
  CheckReport check(const std::map<std::string, HostTensor>& expected) const;

  const DeviceBuffer& buffer(const std::string& name) const;
  const std::map<std::string, HostTensor>& inputs() const { return inputs_; }
  const std::map<std::string, double>& scalars() const { return scalars_; }
  const Scope& scope() const { return scope_; }
  const Shape& shape() const { return shape_; }
  const OpConfig& config() const { return config_; }
  // Fewest bytes the op must move: each input read once, each output written once.
  int64_t min_bytes() const { return min_bytes_; }
  // Write inputs and outputs as .npy files (kpg run --save-io).
  void save_io(const std::filesystem::path& dir) const;

 private:
  struct Buffer {
    const BufferSpec* spec;
    DType dtype;
    std::vector<int64_t> dims;
    int64_t elements = 0;
    DeviceBuffer device;
  };

  const OpConfig& config_;
  Shape shape_;
  Scope scope_;
  std::map<std::string, double> scalars_;
  std::map<std::string, Buffer> buffers_;
  std::map<std::string, HostTensor> inputs_;
  std::optional<std::map<std::string, HostTensor>> reference_;
  std::optional<std::vector<int64_t>> checked_rows_;  // set_reference_sampled
  int64_t min_bytes_ = 0;
};

// n values drawn from `init` (normal, uniform; constant and iota ignore the seed). The same
// seed gives the same values whatever the number of threads; chunks = 0: chunk_count(n)
// threads, another count only for tests.
std::vector<double> random_values(const InitSpec& init, int64_t n, uint64_t seed, size_t chunks = 0);

// Element conversion between host doubles and device bytes (both in parallel above about 1 M elements).
std::vector<uint8_t> encode(const std::vector<double>& values, DType dtype);
std::vector<double> decode(const std::vector<uint8_t>& bytes, DType dtype);

}  // namespace kpg
