#include "tutorials/memory/byte_count.hpp"

#include <numeric>
#include <set>

#include "runtime/error.hpp"
#include "tuner/space.hpp"
#include "tutorials/memory/flop_count.hpp"

namespace kpg::memory {
namespace {

int64_t sum_bytes(const std::vector<BufferTraffic>& list) {
  return std::accumulate(list.begin(), list.end(), int64_t{0},
                         [](int64_t a, const BufferTraffic& b) { return a + b.bytes; });
}

DType element_type(const BufferSpec& spec, const Shape& shape) {
  if (spec.dtype == "T") return shape.dtype;
  if (const auto d = parse_dtype(spec.dtype)) return *d;
  throw Error("buffer '" + spec.name + "' has unknown dtype '" + spec.dtype + "'");
}

int64_t dim(const Shape& shape, const char* name) {
  const auto it = shape.dims.find(name);
  if (it == shape.dims.end()) throw Error(std::string("attention shape has no dim ") + name);
  return it->second;
}

}  // namespace

int64_t KernelTraffic::read_bytes() const { return sum_bytes(reads); }
int64_t KernelTraffic::write_bytes() const { return sum_bytes(writes); }

int64_t VariantTraffic::read_bytes() const {
  int64_t n = 0;
  for (const auto& k : kernels) n += k.read_bytes();
  return n;
}

int64_t VariantTraffic::write_bytes() const {
  int64_t n = 0;
  for (const auto& k : kernels) n += k.write_bytes();
  return n;
}

double VariantTraffic::flops() const {
  double f = 0;
  for (const auto& k : kernels) f += k.flops;
  return f;
}

int64_t buffer_bytes(const OpConfig& config, const std::string& buffer, const Shape& shape,
                     const DeviceLimits& limits) {
  const BufferSpec* spec = config.find_buffer(buffer);
  if (!spec) throw Error(config.op + ": no buffer named '" + buffer + "'");
  const Scope scope = make_scope(shape, {}, limits);
  int64_t elements = 1;
  for (const auto& e : spec->shape) elements *= e.eval_int(scope);
  return elements * static_cast<int64_t>(dtype_bytes(element_type(*spec, shape)));
}

VariantTraffic count_traffic(const OpConfig& config, const VariantSpec& variant, size_t space_index,
                             const Shape& shape, const DeviceLimits& limits) {
  if (space_index >= variant.spaces.size())
    throw Error(config.op + "/" + variant.name + ": no space number " + std::to_string(space_index));
  const SpaceSpec& space = variant.spaces[space_index];
  VariantTraffic traffic{config.op, variant.name, space.name, "", {}};
  std::set<std::string> written;  // outputs and scratch buffers an earlier launch produced
  for (const auto& launch : space.launches) {
    KernelTraffic k{launch.kernel, {}, {}, kernel_flops(config.op, launch.kernel, shape),
                    uses_tensor_cores(config.op, launch.kernel)};
    std::set<std::string> seen;  // a buffer passed twice to one kernel is still moved once
    for (const auto& arg : launch.args) {
      if (!arg.names_buffer() || !seen.insert(arg.name).second) continue;
      const BufferSpec* spec = config.find_buffer(arg.name);
      if (!spec) throw Error(config.op + ": launch " + launch.kernel + " names unknown buffer '" + arg.name + "'");
      const BufferTraffic t{arg.name, buffer_bytes(config, arg.name, shape, limits)};
      const bool produced_here = spec->role != BufferSpec::input && !written.count(arg.name);
      (produced_here ? k.writes : k.reads).push_back(t);
    }
    for (const auto& w : k.writes) written.insert(w.buffer);
    traffic.kernels.push_back(std::move(k));
  }
  return traffic;
}

size_t space_index_of(const VariantSpec& variant, const std::string& candidate_id) {
  const std::string_view name = space_of_candidate_id(candidate_id);
  for (size_t i = 0; i < variant.spaces.size(); ++i)
    if (variant.spaces[i].name == name) return i;
  return 0;
}

size_t theory_space_index(const VariantSpec& variant, const Shape& shape, const DeviceLimits& limits) {
  for (size_t i = 0; i < variant.spaces.size(); ++i) {
    const Scope scope = make_scope(shape, variant.spaces[i].defaults, limits);
    bool holds = true;
    for (const auto& c : variant.spaces[i].constraints) {
      try {
        holds = holds && c.eval(scope) != 0;
      } catch (const ConfigError&) {
        holds = false;  // e.g. a division by zero at this shape: not a usable space
      }
    }
    if (holds) return i;
  }
  return 0;
}

VariantTraffic eager_attention_traffic(const Shape& shape) {
  const int64_t b = dim(shape, "B"), h = dim(shape, "H"), n = dim(shape, "N"), d = dim(shape, "D");
  const auto elem = static_cast<int64_t>(dtype_bytes(shape.dtype));
  const int64_t qkv = b * h * n * d * elem;  // each of q, k, v, o
  const int64_t scores = b * h * n * n * elem;
  const double bhnn = static_cast<double>(b * h * n) * static_cast<double>(n);
  VariantTraffic t{"attention", "eager", "modelled",
                   "modelled from the shape (configs/attention.yaml has no unfused variant): S = Q K^T, "
                   "softmax in float32 (scale and mask folded in), O = P V; eager attention computes the "
                   "masked half too, and writes no lse",
                   {}};
  t.kernels.push_back({"gemm_qk (S = Q K^T)", {{"q", qkv}, {"k", qkv}}, {{"S", scores}}, 2 * bhnn * d, true});
  t.kernels.push_back({"softmax (P = softmax(S))", {{"S", scores}}, {{"P", scores}}, 5 * bhnn, false});
  t.kernels.push_back({"gemm_pv (O = P V)", {{"P", scores}, {"v", qkv}}, {{"o", qkv}}, 2 * bhnn * d, true});
  return t;
}

}  // namespace kpg::memory
