#include "tuner/references.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <numbers>
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

const HostTensor& row_vector(const Call& call, const std::string& name, int64_t n) {
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

struct AttentionSlice {
  const double *q, *k, *v;  // [N, D] each, for one (b, h)
  double *o, *lse;          // [N, D] and [N], either may be null
};

void attention_slice(const AttentionSlice& s, int64_t n, int64_t d, double scale, bool causal,
                     std::vector<double>& scores) {
  for (int64_t i = 0; i < n; ++i) {
    const int64_t keys = causal ? i + 1 : n;
    const double* qi = s.q + i * d;
    double mx = kNegInf;
    for (int64_t j = 0; j < keys; ++j) {
      scores[j] = scale * dot(qi, s.k + j * d, d);
      mx = std::max(mx, scores[j]);
    }
    double* oi = s.o ? s.o + i * d : nullptr;
    if (mx == kNegInf) {  // fully masked row: o stays 0
      if (s.lse) s.lse[i] = kNegInf;
      continue;
    }
    double sum = 0;
    for (int64_t j = 0; j < keys; ++j) sum += (scores[j] = std::exp(scores[j] - mx));
    if (s.lse) s.lse[i] = mx + std::log(sum);
    if (!oi) continue;
    for (int64_t j = 0; j < keys; ++j) {
      const double p = scores[j] / sum;
      const double* vj = s.v + j * d;
      for (int64_t c = 0; c < d; ++c) oi[c] += p * vj[c];
    }
  }
}

void attention(const std::map<std::string, HostTensor>& inputs, std::map<std::string, HostTensor>& outputs,
               const std::map<std::string, int64_t>& dims, const std::map<std::string, double>& scalars) {
  const Call call("attention", inputs, outputs, dims, scalars, {"o", "lse"});
  const HostTensor& q = call.input("q");
  if (q.shape.size() != 4) call.fail("input 'q' has shape " + shape_string(q.shape) + ", expected [B,H,N,D]");
  for (const char* name : {"k", "v"})
    if (call.input(name).shape != q.shape)
      call.fail(std::string("input '") + name + "' has shape " + shape_string(call.input(name).shape) +
                ", expected q's " + shape_string(q.shape));
  const int64_t b = q.shape[0], h = q.shape[1], n = q.shape[2], d = q.shape[3];
  call.check_dim("B", b);
  call.check_dim("H", h);
  call.check_dim("N", n);
  call.check_dim("D", d);
  const bool causal = call.dim_or("CAUSAL", 0) != 0;
  const double scale = call.scalar_or("scale", 1.0 / std::sqrt(static_cast<double>(d)));
  double* o = call.output("o", b * h * n * d);
  double* lse = call.output("lse", b * h * n);
  if (!o && !lse) return;

  const HostTensor& k = call.input("k");
  const HostTensor& v = call.input("v");
  const int64_t slices = b * h;
  std::atomic<int64_t> next{0};
  auto worker = [&] {
    std::vector<double> scores(static_cast<size_t>(n));
    for (int64_t s = next++; s < slices; s = next++) {
      const int64_t off = s * n * d;
      attention_slice({q.values.data() + off, k.values.data() + off, v.values.data() + off, o ? o + off : nullptr,
                       lse ? lse + s * n : nullptr},
                      n, d, scale, causal, scores);
    }
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

const std::map<std::string, BuiltinReference, std::less<>>& registry() {
  static const std::map<std::string, BuiltinReference, std::less<>> builtins = {
      {"softmax", softmax}, {"layernorm", layernorm}, {"rmsnorm", rmsnorm},
      {"attention", attention}, {"bias_gelu", bias_gelu},
  };
  return builtins;
}

}  // namespace

const BuiltinReference* find_builtin_reference(std::string_view name) {
  const auto it = registry().find(name);
  return it == registry().end() ? nullptr : &it->second;
}

std::vector<std::string> builtin_reference_names() {
  std::vector<std::string> names;
  for (const auto& [name, ref] : registry()) names.push_back(name);
  return names;
}

}  // namespace kpg
