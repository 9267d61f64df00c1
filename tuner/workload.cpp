#include "tuner/workload.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>

#include "runtime/buffer.hpp"
#include "runtime/error.hpp"
#include "runtime/output_file.hpp"
#include "tuner/half.hpp"
#include "tuner/npy.hpp"

namespace kpg {
namespace {

// Random values come in blocks of this many, each block from its own generator seeded from
// the buffer's seed and the block's index: blocks fill in parallel, and the values depend on
// the seed alone, never on the number of threads.
constexpr size_t kRandomBlock = size_t{1} << 16;

DType resolve_dtype(const std::string& name, DType t) {
  if (name == "T") return t;
  if (auto d = parse_dtype(name)) return *d;
  throw Error("unknown buffer dtype '" + name + "'");
}

// splitmix64's finaliser: well-mixed, distinct generator seeds from nearby integers.
uint64_t mix_seed(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Fills v from `dist`, block by block (kRandomBlock), the blocks spread over `chunks` threads.
template <class Dist>
void fill_random(std::vector<double>& v, const Dist& dist, uint64_t seed, size_t chunks) {
  const size_t blocks = (v.size() + kRandomBlock - 1) / kRandomBlock;
  for_each_chunk(blocks, chunks, [&](size_t, size_t first, size_t last) {
    for (size_t block = first; block < last; ++block) {
      std::mt19937_64 rng(mix_seed(seed + mix_seed(block)));
      Dist d = dist;  // a distribution may carry state between draws (normal keeps a second value)
      const size_t end = std::min(v.size(), (block + 1) * kRandomBlock);
      for (size_t i = block * kRandomBlock; i < end; ++i) v[i] = d(rng);
    }
  });
}

}  // namespace

std::vector<double> random_values(const InitSpec& init, int64_t n, uint64_t seed, size_t chunks) {
  std::vector<double> v(static_cast<size_t>(n));
  if (chunks == 0) chunks = chunk_count(v.size());
  switch (init.kind) {
    case InitSpec::normal:
      fill_random(v, std::normal_distribution<double>(init.a, init.b), seed, chunks);
      break;
    case InitSpec::uniform:
      fill_random(v, std::uniform_real_distribution<double>(init.a, init.b), seed, chunks);
      break;
    case InitSpec::constant:
      std::fill(v.begin(), v.end(), init.a);
      break;
    case InitSpec::iota:
      for (int64_t i = 0; i < n; ++i) v[static_cast<size_t>(i)] = static_cast<double>(i);
      break;
  }
  return v;
}

std::vector<uint8_t> encode(const std::vector<double>& values, DType dtype) {
  std::vector<uint8_t> bytes(values.size() * dtype_bytes(dtype));
  for_each_chunk(values.size(), chunk_count(values.size()), [&](size_t, size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      uint8_t* dst = bytes.data() + i * dtype_bytes(dtype);
      switch (dtype) {
        case DType::f32: {
          const auto f = static_cast<float>(values[i]);
          std::memcpy(dst, &f, 4);
          break;
        }
        case DType::f16: {
          const uint16_t h = float_to_half(static_cast<float>(values[i]));
          std::memcpy(dst, &h, 2);
          break;
        }
        case DType::bf16: {
          const uint16_t h = float_to_bf16(static_cast<float>(values[i]));
          std::memcpy(dst, &h, 2);
          break;
        }
        case DType::i32: {
          const auto k = static_cast<int32_t>(values[i]);
          std::memcpy(dst, &k, 4);
          break;
        }
      }
    }
  });
  return bytes;
}

std::vector<double> decode(const std::vector<uint8_t>& bytes, DType dtype) {
  const size_t n = bytes.size() / dtype_bytes(dtype);
  std::vector<double> v(n);
  for_each_chunk(n, chunk_count(n), [&](size_t, size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      const uint8_t* src = bytes.data() + i * dtype_bytes(dtype);
      switch (dtype) {
        case DType::f32: {
          float f;
          std::memcpy(&f, src, 4);
          v[i] = f;
          break;
        }
        case DType::f16: {
          uint16_t h;
          std::memcpy(&h, src, 2);
          v[i] = half_to_float(h);
          break;
        }
        case DType::bf16: {
          uint16_t h;
          std::memcpy(&h, src, 2);
          v[i] = bf16_to_float(h);
          break;
        }
        case DType::i32: {
          int32_t k;
          std::memcpy(&k, src, 4);
          v[i] = k;
          break;
        }
      }
    }
  });
  return v;
}

Workload::Workload(const OpConfig& config, const Shape& shape, const DeviceLimits& limits)
    : config_(config), shape_(shape), scope_(make_scope(shape, {}, limits)) {
  for (const auto& [name, expr] : config.scalars) scalars_[name] = expr.eval(scope_);
  // Sizes first, so that a shape too large for the kernels' 32-bit indices or for the
  // GPU's memory is one clear input error before anything is allocated.
  std::vector<Buffer> sized;
  size_t total = 0;
  for (const auto& spec : config.buffers) {
    Buffer b{&spec, resolve_dtype(spec.dtype, shape.dtype), {}, 1, {}};
    for (const auto& e : spec.shape) {
      b.dims.push_back(e.eval_int(scope_));
      if (b.dims.back() > 0 && b.elements > std::numeric_limits<int32_t>::max() / b.dims.back())
        b.elements = int64_t{std::numeric_limits<int32_t>::max()} + 1;
      else
        b.elements *= b.dims.back();
    }
    if (b.elements > std::numeric_limits<int32_t>::max())
      throw InputError(config.file.string() + ": shape " + shape.to_string() + ": buffer '" + spec.name +
                       "' would hold 2^31 elements or more; the kernels index with 32-bit int");
    total += static_cast<size_t>(b.elements) * dtype_bytes(b.dtype);
    sized.push_back(std::move(b));
  }
  const MemoryInfo memory = memory_info();
  if (total > memory.free)
    throw InputError(config.file.string() + ": shape " + shape.to_string() + " needs " +
                     std::to_string(total >> 20) + " MiB of device memory for its buffers; the GPU has " +
                     std::to_string(memory.free >> 20) + " MiB free of " + std::to_string(memory.total >> 20));
  for (auto& b : sized) {
    const auto bytes = static_cast<size_t>(b.elements) * dtype_bytes(b.dtype);
    b.device = DeviceBuffer(bytes);
    // Scratch starts zeroed: a kernel may keep state there across launches (a work counter)
    // as long as it leaves it zeroed.
    if (b.spec->role == BufferSpec::scratch) b.device.fill_bytes(0);
    else min_bytes_ += static_cast<int64_t>(bytes);
    const std::string name = b.spec->name;
    buffers_.emplace(name, std::move(b));
  }
}

void Workload::randomize(uint64_t seed) {
  std::mt19937_64 rng(seed);  // one seed a buffer, drawn in the buffers' (name) order
  inputs_.clear();
  reference_.reset();
  checked_rows_.reset();
  for (auto& [name, b] : buffers_) {
    if (b.spec->role != BufferSpec::input) continue;
    const InitSpec init = b.spec->init.value_or(InitSpec{InitSpec::normal, 0.0, 1.0});
    // Round through the device type so the reference sees exactly what the kernel reads.
    const auto bytes = encode(random_values(init, b.elements, rng()), b.dtype);
    b.device.upload(bytes.data(), bytes.size());
    inputs_[name] = HostTensor{decode(bytes, b.dtype), b.dims};
  }
}

void Workload::set_input(const std::string& name, const std::vector<double>& values) {
  auto it = buffers_.find(name);
  if (it == buffers_.end() || it->second.spec->role != BufferSpec::input)
    throw Error("op '" + config_.op + "': no input buffer named '" + name + "'");
  Buffer& b = it->second;
  if (static_cast<int64_t>(values.size()) != b.elements)
    throw Error("input '" + name + "' needs " + std::to_string(b.elements) + " values");
  const auto bytes = encode(values, b.dtype);
  b.device.upload(bytes.data(), bytes.size());
  inputs_[name] = HostTensor{decode(bytes, b.dtype), b.dims};
  reference_.reset();
}

void Workload::poison_outputs(CUstream stream) {
  for (auto& [name, b] : buffers_)
    if (b.spec->role == BufferSpec::output) b.device.fill_bytes(0xFF, stream);
}

const std::map<std::string, HostTensor>& Workload::reference() {
  if (reference_) return *reference_;
  const BuiltinReference* ref = find_builtin_reference(config_.reference.builtin);
  if (!ref) throw Error("op '" + config_.op + "': no builtin reference '" + config_.reference.builtin + "'");
  std::map<std::string, HostTensor> expected = zero_outputs();
  (*ref)(inputs_, expected, shape_.dims, scalars_);
  reference_ = std::move(expected);
  return *reference_;
}

std::map<std::string, HostTensor> Workload::zero_outputs() const {
  std::map<std::string, HostTensor> out;
  for (const auto& [name, b] : buffers_)
    if (b.spec->role == BufferSpec::output)
      out[name] = HostTensor{std::vector<double>(static_cast<size_t>(b.elements)), b.dims};
  return out;
}

std::map<std::string, HostTensor> Workload::download_outputs() const {
  std::map<std::string, HostTensor> out;
  for (const auto& [name, b] : buffers_) {
    if (b.spec->role != BufferSpec::output) continue;
    std::vector<uint8_t> bytes(b.device.bytes());
    b.device.download(bytes.data(), bytes.size());
    out[name] = HostTensor{decode(bytes, b.dtype), b.dims};
  }
  return out;
}

CheckReport Workload::check(const std::map<std::string, HostTensor>& expected) const {
  CheckReport report;
  const auto actual = download_outputs();
  const auto tol_it = config_.tolerance.find(shape_.dtype);
  const Tolerance tol = tol_it != config_.tolerance.end() ? tol_it->second : Tolerance{1e-5, 1e-4};
  size_t rows = 0;  // of a sampled reference: the smallest output's element count
  for (const auto& [name, ref] : expected)
    if (rows == 0 || ref.values.size() < rows) rows = ref.values.size();
  for (const auto& [name, ref] : expected) {
    const auto it = actual.find(name);
    if (it == actual.end()) continue;
    std::vector<IndexRange> ranges;
    if (!checked_rows_) {
      ranges.push_back({0, ref.values.size()});
    } else {
      const size_t row_len = rows ? ref.values.size() / rows : 0;
      if (row_len * rows != ref.values.size())
        throw Error("sampled reference: output '" + name + "' does not split into " + std::to_string(rows) + " rows");
      for (const int64_t row : *checked_rows_) {
        if (row < 0 || static_cast<size_t>(row) >= rows)
          throw Error("sampled reference: row " + std::to_string(row) + " is not in [0, " + std::to_string(rows) + ")");
        ranges.push_back({static_cast<size_t>(row) * row_len, static_cast<size_t>(row + 1) * row_len});
      }
    }
    OutputCheck c = compare_output(it->second.values, ref.values, tol, ranges);
    c.buffer = name;
    report.ok = report.ok && c.ok;
    report.outputs.push_back(std::move(c));
  }
  return report;
}

const DeviceBuffer& Workload::buffer(const std::string& name) const {
  const auto it = buffers_.find(name);
  if (it == buffers_.end()) throw Error("op '" + config_.op + "': no buffer named '" + name + "'");
  return it->second.device;
}

void Workload::save_io(const std::filesystem::path& dir) const {
  make_output_dir(dir);
  for (const auto& [name, t] : inputs_) write_npy(dir / (name + ".npy"), t);
  for (const auto& [name, t] : download_outputs()) write_npy(dir / (name + ".out.npy"), t);
  if (reference_)
    for (const auto& [name, t] : *reference_) write_npy(dir / (name + ".ref.npy"), t);
}

}  // namespace kpg
