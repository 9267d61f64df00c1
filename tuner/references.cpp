#include "tuner/references.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <numbers>
#include <optional>
#include <random>
#include <set>
#include <system_error>
#include <thread>

#include "runtime/error.hpp"

namespace kpg {
namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

int64_t element_count(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

// Validation and access for one call of one builtin: every message names the builtin
// and the buffer, so a config that disagrees with the contract is fixed in one look.
class Call {
 public:
  Call(std::string_view ref, const std::map<std::string, HostTensor>& inputs,
       std::map<std::string, HostTensor>& outputs, const std::map<std::string, int64_t>& dims,
       const std::map<std::string, double>& scalars, std::set<std::string> produced)
      : ref_(ref), inputs_(inputs), outputs_(outputs), dims_(dims), scalars_(scalars) {
    for (const auto& [name, tensor] : outputs_) {
      if (produced.count(name)) continue;
      std::string known;
      for (const auto& p : produced) known += (known.empty() ? "" : ", ") + p;
      fail("has no output '" + name + "' (it produces: " + known + ")");
    }
  }

  [[noreturn]] void fail(const std::string& what) const {
    throw InputError("builtin reference '" + ref_ + "' " + what);
  }

  const HostTensor& input(const std::string& name, size_t min_rank = 1) const {
    const auto it = inputs_.find(name);
    if (it == inputs_.end()) fail("needs an input buffer named '" + name + "'");
    const HostTensor& t = it->second;
    if (t.shape.size() < min_rank)
      fail("input '" + name + "' has shape " + shape_string(t.shape) + ", needs rank >= " + std::to_string(min_rank));
    if (static_cast<int64_t>(t.values.size()) != element_count(t.shape))
      fail("input '" + name + "' holds " + std::to_string(t.values.size()) + " values for shape " +
           shape_string(t.shape));
    return t;
  }

  void expect_elements(const std::string& name, const HostTensor& t, int64_t count) const {
    if (element_count(t.shape) != count)
      fail("buffer '" + name + "' has shape " + shape_string(t.shape) + " (" +
           std::to_string(element_count(t.shape)) + " elements), expected " + std::to_string(count));
  }

  // Zeroed storage for a requested output, nullptr when the caller did not ask for it.
  double* output(const std::string& name, int64_t count) const {
    const auto it = outputs_.find(name);
    if (it == outputs_.end()) return nullptr;
    expect_elements(name, it->second, count);
    it->second.values.assign(static_cast<size_t>(count), 0.0);
    return it->second.values.data();
  }

  // A dim of the same name, when present, must agree with what the tensors say.
  void check_dim(const std::string& dim, int64_t value) const {
    const auto it = dims_.find(dim);
    if (it != dims_.end() && it->second != value)
      fail("dim " + dim + " = " + std::to_string(it->second) + " disagrees with the input shape (" +
           std::to_string(value) + ")");
  }

  int64_t dim_or(const std::string& dim, int64_t fallback) const {
    const auto it = dims_.find(dim);
    return it == dims_.end() ? fallback : it->second;
  }

  double scalar_or(const std::string& name, double fallback) const {
    const auto it = scalars_.find(name);
    return it == scalars_.end() ? fallback : it->second;
  }

 private:
  std::string ref_;
  const std::map<std::string, HostTensor>& inputs_;
  std::map<std::string, HostTensor>& outputs_;
  const std::map<std::string, int64_t>& dims_;
  const std::map<std::string, double>& scalars_;
};

// Row-wise view of x: N is the last dimension, M the product of the others.
struct Rows {
  int64_t m = 0, n = 0;
};

Rows rows_of(const Call& call, const HostTensor& x) {
  Rows r{1, x.shape.back()};
  for (size_t i = 0; i + 1 < x.shape.size(); ++i) r.m *= x.shape[i];
  call.check_dim("N", r.n);
  if (x.shape.size() == 2) call.check_dim("M", r.m);
  return r;
}

// `name` is a C string: a std::string temporary bound to a parameter of a function that
// returns a reference trips GCC 13's -Wdangling-reference, though the result is an input's.
const HostTensor& row_vector(const Call& call, const char* name, int64_t n) {
  const HostTensor& t = call.input(name);
  call.expect_elements(name, t, n);
  return t;
}

void softmax(const std::map<std::string, HostTensor>& inputs, std::map<std::string, HostTensor>& outputs,
             const std::map<std::string, int64_t>& dims, const std::map<std::string, double>& scalars) {
  const Call call("softmax", inputs, outputs, dims, scalars, {"y"});
  const HostTensor& x = call.input("x");
  const Rows r = rows_of(call, x);
  double* y = call.output("y", r.m * r.n);
  if (!y) return;
  for (int64_t i = 0; i < r.m; ++i) {
    const double* xr = x.values.data() + i * r.n;
    double* yr = y + i * r.n;
    const double mx = *std::max_element(xr, xr + r.n);
    double sum = 0;
    for (int64_t j = 0; j < r.n; ++j) sum += (yr[j] = std::exp(xr[j] - mx));
    for (int64_t j = 0; j < r.n; ++j) yr[j] /= sum;
  }
}

void layernorm(const std::map<std::string, HostTensor>& inputs, std::map<std::string, HostTensor>& outputs,
               const std::map<std::string, int64_t>& dims, const std::map<std::string, double>& scalars) {
  const Call call("layernorm", inputs, outputs, dims, scalars, {"y", "mean", "rstd"});
  const HostTensor& x = call.input("x");
  const Rows r = rows_of(call, x);
  const HostTensor& gamma = row_vector(call, "gamma", r.n);
  const HostTensor& beta = row_vector(call, "beta", r.n);
  const double eps = call.scalar_or("eps", 1e-5);
  double* y = call.output("y", r.m * r.n);
  double* mean_out = call.output("mean", r.m);
  double* rstd_out = call.output("rstd", r.m);
  const auto n = static_cast<double>(r.n);
  for (int64_t i = 0; i < r.m; ++i) {
    const double* xr = x.values.data() + i * r.n;
    // Two passes: the mean first, then squared deviations from it (no E[x^2]-E[x]^2
    // cancellation). The second pass's residual sum corrects the mean's rounding.
    double sum = 0;
    for (int64_t j = 0; j < r.n; ++j) sum += xr[j];
    const double mean = sum / n;
    double sq = 0, residual = 0;
    for (int64_t j = 0; j < r.n; ++j) {
      const double d = xr[j] - mean;
      sq += d * d;
      residual += d;
    }
    const double var = std::max(0.0, (sq - residual * residual / n) / n);  // biased, as PyTorch
    const double rstd = 1.0 / std::sqrt(var + eps);
    if (mean_out) mean_out[i] = mean;
    if (rstd_out) rstd_out[i] = rstd;
    if (y)
      for (int64_t j = 0; j < r.n; ++j) y[i * r.n + j] = (xr[j] - mean) * rstd * gamma.values[j] + beta.values[j];
  }
}

void rmsnorm(const std::map<std::string, HostTensor>& inputs, std::map<std::string, HostTensor>& outputs,
             const std::map<std::string, int64_t>& dims, const std::map<std::string, double>& scalars) {
  const Call call("rmsnorm", inputs, outputs, dims, scalars, {"y", "rstd"});
  const HostTensor& x = call.input("x");
  const Rows r = rows_of(call, x);
  const HostTensor& gamma = row_vector(call, "gamma", r.n);
  const double eps = call.scalar_or("eps", 1e-5);
  double* y = call.output("y", r.m * r.n);
  double* rstd_out = call.output("rstd", r.m);
  for (int64_t i = 0; i < r.m; ++i) {
    const double* xr = x.values.data() + i * r.n;
    double sq = 0;
    for (int64_t j = 0; j < r.n; ++j) sq += xr[j] * xr[j];
    const double rstd = 1.0 / std::sqrt(sq / static_cast<double>(r.n) + eps);
    if (rstd_out) rstd_out[i] = rstd;
    if (y)
      for (int64_t j = 0; j < r.n; ++j) y[i * r.n + j] = xr[j] * rstd * gamma.values[j];
  }
}

double gelu_tanh(double z) {
  const double k = std::sqrt(2.0 / std::numbers::pi);
  return 0.5 * z * (1.0 + std::tanh(k * (z + 0.044715 * z * z * z)));
}

void bias_gelu(const std::map<std::string, HostTensor>& inputs, std::map<std::string, HostTensor>& outputs,
               const std::map<std::string, int64_t>& dims, const std::map<std::string, double>& scalars) {
  const Call call("bias_gelu", inputs, outputs, dims, scalars, {"y"});
  const HostTensor& x = call.input("x");
  const Rows r = rows_of(call, x);
  const HostTensor& bias = row_vector(call, "bias", r.n);
  double* y = call.output("y", r.m * r.n);
  if (!y) return;
  for (int64_t i = 0; i < r.m; ++i)
    for (int64_t j = 0; j < r.n; ++j) y[i * r.n + j] = gelu_tanh(x.values[i * r.n + j] + bias.values[j]);
}

// Elementwise, so any shape of x: the tensor-map example's yardstick.
void scale(const std::map<std::string, HostTensor>& inputs, std::map<std::string, HostTensor>& outputs,
           const std::map<std::string, int64_t>& dims, const std::map<std::string, double>& scalars) {
  const Call call("scale", inputs, outputs, dims, scalars, {"y"});
  const HostTensor& x = call.input("x");
  double* y = call.output("y", element_count(x.shape));
  if (!y) return;
  const double alpha = call.scalar_or("alpha", 1.0);
  for (size_t i = 0; i < x.values.size(); ++i) y[i] = alpha * x.values[i];
}

// Four independent accumulators: the dot product is the attention reference's hot loop
// and a single chain of dependent adds would run at a quarter of the speed.
double dot(const double* a, const double* b, int64_t d) {
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  int64_t i = 0;
  for (; i + 4 <= d; i += 4) {
    s0 += a[i] * b[i];
    s1 += a[i + 1] * b[i + 1];
    s2 += a[i + 2] * b[i + 2];
    s3 += a[i + 3] * b[i + 3];
  }
  for (; i < d; ++i) s0 += a[i] * b[i];
  return (s0 + s1) + (s2 + s3);
}

// One query row: scores against its `keys` visible keys, max-subtracted softmax, P V.
// A fully masked row (every score -inf) leaves o at 0 and sets lse to -inf.
void attention_row(const double* qi, const double* k, const double* v, int64_t keys, int64_t d, double scale,
                   std::vector<double>& scores, double* oi, double* lse_i) {
  double mx = kNegInf;
  for (int64_t j = 0; j < keys; ++j) {
    scores[j] = scale * dot(qi, k + j * d, d);
    mx = std::max(mx, scores[j]);
  }
  if (mx == kNegInf) {
    if (lse_i) *lse_i = kNegInf;
    return;
  }
  double sum = 0;
  for (int64_t j = 0; j < keys; ++j) sum += (scores[j] = std::exp(scores[j] - mx));
  if (lse_i) *lse_i = mx + std::log(sum);
  if (!oi) return;
  for (int64_t j = 0; j < keys; ++j) {
    const double p = scores[j] / sum;
    const double* vj = v + j * d;
    for (int64_t c = 0; c < d; ++c) oi[c] += p * vj[c];
  }
}

// The attention contract checked once: q, k, v [B,H,N,D] alike and agreeing with the dims,
// CAUSAL and scale resolved, the requested outputs zeroed. A row r = (b * H + h) * N + i.
struct Attention {
  const HostTensor *q, *k, *v;
  int64_t b, h, n, d;
  bool causal;
  double scale;
  double *o, *lse;  // null when not requested

  Attention(const Call& call) {
    q = &call.input("q");
    if (q->shape.size() != 4) call.fail("input 'q' has shape " + shape_string(q->shape) + ", expected [B,H,N,D]");
    for (const char* name : {"k", "v"})
      if (call.input(name).shape != q->shape)
        call.fail(std::string("input '") + name + "' has shape " + shape_string(call.input(name).shape) +
                  ", expected q's " + shape_string(q->shape));
    k = &call.input("k");
    v = &call.input("v");
    b = q->shape[0], h = q->shape[1], n = q->shape[2], d = q->shape[3];
    call.check_dim("B", b);
    call.check_dim("H", h);
    call.check_dim("N", n);
    call.check_dim("D", d);
    causal = call.dim_or("CAUSAL", 0) != 0;
    scale = call.scalar_or("scale", 1.0 / std::sqrt(static_cast<double>(d)));
    o = call.output("o", b * h * n * d);
    lse = call.output("lse", b * h * n);
  }

  void row(int64_t r, std::vector<double>& scores) const {
    const int64_t i = r % n, kv = (r / n) * n * d;
    attention_row(q->values.data() + r * d, k->values.data() + kv, v->values.data() + kv, causal ? i + 1 : n, d,
                  scale, scores, o ? o + r * d : nullptr, lse ? lse + r : nullptr);
  }
};

void attention(const std::map<std::string, HostTensor>& inputs, std::map<std::string, HostTensor>& outputs,
               const std::map<std::string, int64_t>& dims, const std::map<std::string, double>& scalars) {
  const Call call("attention", inputs, outputs, dims, scalars, {"o", "lse"});
  const Attention a(call);
  if (!a.o && !a.lse) return;
  // One (b, h) slice at a time per thread.
  const int64_t slices = a.b * a.h;
  std::atomic<int64_t> next{0};
  auto worker = [&] {
    std::vector<double> scores(static_cast<size_t>(a.n));
    for (int64_t s = next++; s < slices; s = next++)
      for (int64_t i = 0; i < a.n; ++i) a.row(s * a.n + i, scores);
  };
  const auto threads = std::min<int64_t>(slices, std::max(1u, std::thread::hardware_concurrency()));
  std::vector<std::thread> pool;
  for (int64_t t = 1; t < threads; ++t) {
    try {
      pool.emplace_back(worker);
    } catch (const std::system_error&) {
      break;  // no more threads available: the ones started (and this one) share the work
    }
  }
  worker();  // the calling thread takes its share too
  for (auto& t : pool) t.join();
}

// --- sampled forms ---------------------------------------------------------------------

int64_t dim_at(const std::map<std::string, int64_t>& dims, const char* name, int64_t fallback) {
  const auto it = dims.find(name);
  return it == dims.end() ? fallback : it->second;
}

double attention_flops(const std::map<std::string, int64_t>& dims) {
  const double flops = 4.0 * static_cast<double>(dim_at(dims, "B", 1) * dim_at(dims, "H", 1) * dim_at(dims, "D", 1)) *
                       static_cast<double>(dim_at(dims, "N", 1)) * static_cast<double>(dim_at(dims, "N", 1));
  return dim_at(dims, "CAUSAL", 0) != 0 ? flops / 2 : flops;
}

// The first and last query of the first and last (b, h) slice (edge tiles, the causal
// diagonal), then uniform random rows.
std::vector<int64_t> attention_sample(const std::map<std::string, int64_t>& dims, size_t count, uint64_t seed) {
  const int64_t slices = dim_at(dims, "B", 1) * dim_at(dims, "H", 1), n = dim_at(dims, "N", 1);
  const int64_t total = slices * n;
  std::set<int64_t> rows;
  if (static_cast<int64_t>(count) >= total) {
    for (int64_t r = 0; r < total; ++r) rows.insert(r);
    return {rows.begin(), rows.end()};
  }
  for (int64_t bh : {int64_t{0}, slices - 1})
    for (int64_t i : {int64_t{0}, n - 1})
      if (rows.size() < count) rows.insert(bh * n + i);
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int64_t> pick(0, total - 1);
  while (rows.size() < count) rows.insert(pick(rng));
  return {rows.begin(), rows.end()};
}

void attention_rows(const std::map<std::string, HostTensor>& inputs, std::map<std::string, HostTensor>& outputs,
                    const std::map<std::string, int64_t>& dims, const std::map<std::string, double>& scalars,
                    const std::vector<int64_t>& rows) {
  const Call call("attention", inputs, outputs, dims, scalars, {"o", "lse"});
  const Attention a(call);
  std::vector<double> scores(static_cast<size_t>(a.n));
  for (const int64_t r : rows) {
    if (r < 0 || r >= a.b * a.h * a.n)
      call.fail("row " + std::to_string(r) + " is not in [0, " + std::to_string(a.b * a.h * a.n) + ")");
    a.row(r, scores);
  }
}

struct Builtin {
  BuiltinReference full;
  std::optional<SampledReference> sampled;
};

const std::map<std::string, Builtin, std::less<>>& registry() {
  static const std::map<std::string, Builtin, std::less<>> builtins = {
      {"softmax", {softmax, {}}},
      {"layernorm", {layernorm, {}}},
      {"rmsnorm", {rmsnorm, {}}},
      {"attention", {attention, SampledReference{attention_flops, attention_sample, attention_rows}}},
      {"bias_gelu", {bias_gelu, {}}},
      {"scale", {scale, {}}},
  };
  return builtins;
}

}  // namespace

const BuiltinReference* find_builtin_reference(std::string_view name) {
  const auto it = registry().find(name);
  return it == registry().end() ? nullptr : &it->second.full;
}

const SampledReference* find_sampled_reference(std::string_view name) {
  const auto it = registry().find(name);
  return it == registry().end() || !it->second.sampled ? nullptr : &*it->second.sampled;
}

std::vector<std::string> builtin_reference_names() {
  std::vector<std::string> names;
  for (const auto& [name, ref] : registry()) names.push_back(name);
  return names;
}

}  // namespace kpg
