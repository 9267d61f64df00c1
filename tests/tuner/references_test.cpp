// The float64 references against values computed by hand (or by an independent,
// deliberately naive formula), plus the contract: only requested outputs, clear errors.
#include "tuner/references.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <limits>
#include <random>

#include "runtime/error.hpp"

namespace kpg {
namespace {

using Tensors = std::map<std::string, HostTensor>;

Tensors run(std::string_view name, const Tensors& inputs, Tensors outputs,
            const std::map<std::string, int64_t>& dims = {}, const std::map<std::string, double>& scalars = {}) {
  const BuiltinReference* ref = find_builtin_reference(name);
  if (!ref) throw std::logic_error("no builtin " + std::string(name));
  (*ref)(inputs, outputs, dims, scalars);
  return outputs;
}

HostTensor empty(std::vector<int64_t> shape) { return HostTensor{{}, std::move(shape)}; }

HostTensor random_tensor(std::vector<int64_t> shape, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> dist(0.0, 1.0);
  int64_t n = 1;
  for (auto d : shape) n *= d;
  HostTensor t{std::vector<double>(static_cast<size_t>(n)), std::move(shape)};
  for (auto& v : t.values) v = dist(rng);
  return t;
}

TEST(References, RegistryListsEveryBuiltin) {
  const std::vector<std::string> expected = {"attention", "bias_gelu", "layernorm", "rmsnorm", "scale", "softmax"};
  EXPECT_EQ(builtin_reference_names(), expected);
  for (const auto& name : expected) EXPECT_NE(find_builtin_reference(name), nullptr) << name;
  EXPECT_EQ(find_builtin_reference("gemm"), nullptr);
}

TEST(Softmax, ZeroAndLn2GiveThirds) {
  const auto out = run("softmax", {{"x", {{0.0, std::log(2.0)}, {1, 2}}}}, {{"y", empty({1, 2})}});
  const auto& y = out.at("y").values;
  ASSERT_EQ(y.size(), 2u);
  EXPECT_NEAR(y[0], 1.0 / 3.0, 1e-15);
  EXPECT_NEAR(y[1], 2.0 / 3.0, 1e-15);
}

TEST(Softmax, LargeLogitsDoNotOverflow) {
  const double big = 1000.0;  // exp(1000) overflows double: only a max-subtracted softmax survives
  const auto out = run("softmax", {{"x", {{big, big + std::log(2.0), -big, big}, {2, 2}}}}, {{"y", empty({2, 2})}},
                       {{"M", 2}, {"N", 2}});
  const auto& y = out.at("y").values;
  EXPECT_NEAR(y[0], 1.0 / 3.0, 1e-12);
  EXPECT_NEAR(y[1], 2.0 / 3.0, 1e-12);
  EXPECT_NEAR(y[2], 0.0, 1e-300);
  EXPECT_NEAR(y[3], 1.0, 1e-15);
}

TEST(Softmax, RowOfMinusInfinityIsNaN) {
  const double inf = std::numeric_limits<double>::infinity();
  const auto out = run("softmax", {{"x", {{-inf, -inf}, {1, 2}}}}, {{"y", empty({1, 2})}});
  EXPECT_TRUE(std::isnan(out.at("y").values[0]));
  EXPECT_TRUE(std::isnan(out.at("y").values[1]));
}

TEST(LayerNorm, KnownValues) {
  // x = [1,2,3,4]: mean 2.5, biased variance 1.25.
  const auto out = run("layernorm",
                       {{"x", {{1, 2, 3, 4}, {1, 4}}}, {"gamma", {{1, 1, 2, 2}, {4}}}, {"beta", {{0, 0, 0, 1}, {4}}}},
                       {{"y", empty({1, 4})}, {"mean", empty({1})}, {"rstd", empty({1})}}, {}, {{"eps", 0.0}});
  const double rstd = 1.0 / std::sqrt(1.25);
  EXPECT_DOUBLE_EQ(out.at("mean").values[0], 2.5);
  EXPECT_NEAR(out.at("rstd").values[0], rstd, 1e-15);
  const auto& y = out.at("y").values;
  EXPECT_NEAR(y[0], -1.5 * rstd, 1e-15);
  EXPECT_NEAR(y[1], -0.5 * rstd, 1e-15);
  EXPECT_NEAR(y[2], 2 * 0.5 * rstd, 1e-15);
  EXPECT_NEAR(y[3], 2 * 1.5 * rstd + 1, 1e-15);
}

TEST(LayerNorm, LargeMeanSmallVarianceStaysAccurate) {
  // Mean 1e4, deviations +-1e-3: variance 1e-6. E[x^2] - E[x]^2 would lose ~8 digits here.
  const int64_t n = 1024;
  HostTensor x{std::vector<double>(n), {1, n}};
  for (int64_t j = 0; j < n; ++j) x.values[j] = 1e4 + (j % 2 ? 1e-3 : -1e-3);
  const auto out = run("layernorm",
                       {{"x", x}, {"gamma", {std::vector<double>(n, 1.0), {n}}}, {"beta", {std::vector<double>(n, 0.0), {n}}}},
                       {{"y", empty({1, n})}, {"rstd", empty({1})}}, {}, {{"eps", 0.0}});
  EXPECT_NEAR(out.at("rstd").values[0], 1000.0, 1000.0 * 1e-8);
  for (int64_t j = 0; j < n; ++j) ASSERT_NEAR(out.at("y").values[j], j % 2 ? 1.0 : -1.0, 1e-8) << j;
}

TEST(LayerNorm, FillsOnlyRequestedOutputs) {
  const auto out = run("layernorm",
                       {{"x", {{1, 3}, {1, 2}}}, {"gamma", {{1, 1}, {2}}}, {"beta", {{0, 0}, {2}}}},
                       {{"mean", empty({1})}});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_DOUBLE_EQ(out.at("mean").values.at(0), 2.0);
}

TEST(LayerNorm, DefaultEpsIsPyTorchs) {
  const auto out = run("layernorm", {{"x", {{1, 1}, {1, 2}}}, {"gamma", {{1, 1}, {2}}}, {"beta", {{0, 0}, {2}}}},
                       {{"rstd", empty({1})}});
  EXPECT_NEAR(out.at("rstd").values[0], 1.0 / std::sqrt(1e-5), 1e-9);  // zero variance: rstd = 1/sqrt(eps)
}

TEST(RmsNorm, KnownValues) {
  // x = [3,4]: mean square 12.5.
  const auto out = run("rmsnorm", {{"x", {{3, 4}, {1, 2}}}, {"gamma", {{1, 2}, {2}}}},
                       {{"y", empty({1, 2})}, {"rstd", empty({1})}}, {}, {{"eps", 0.0}});
  const double rstd = 1.0 / std::sqrt(12.5);
  EXPECT_NEAR(out.at("rstd").values[0], rstd, 1e-15);
  EXPECT_NEAR(out.at("y").values[0], 3 * rstd, 1e-15);
  EXPECT_NEAR(out.at("y").values[1], 8 * rstd, 1e-15);
}

TEST(BiasGelu, KnownPoints) {
  // PyTorch: F.gelu(t, approximate='tanh') at 1 and -1 is 0.8411919906, -0.1588080094.
  const auto out = run("bias_gelu", {{"x", {{0.5, -0.5, -3, 0, 20, -20}, {1, 6}}}, {"bias", {{0.5, -0.5, 3, 0, 0, 0}, {6}}}},
                       {{"y", empty({1, 6})}});
  const auto& y = out.at("y").values;
  EXPECT_NEAR(y[0], 0.8411919906082768, 1e-12);
  EXPECT_NEAR(y[1], -0.15880800939172324, 1e-12);
  EXPECT_EQ(y[2], 0.0);
  EXPECT_EQ(y[3], 0.0);
  EXPECT_NEAR(y[4], 20.0, 1e-12);
  EXPECT_NEAR(y[5], 0.0, 1e-12);
}

TEST(Scale, MultipliesEveryElementOfAnyShape) {
  const auto out = run("scale", {{"x", {{1, -2, 0.5, 0, 3, -0.25}, {2, 1, 3}}}}, {{"y", empty({2, 1, 3})}}, {},
                       {{"alpha", -1.5}});
  EXPECT_EQ(out.at("y").values, (std::vector<double>{-1.5, 3, -0.75, 0, -4.5, 0.375}));
  // Without alpha: a copy.
  EXPECT_EQ(run("scale", {{"x", {{7, 8}, {2}}}}, {{"y", empty({2})}}).at("y").values, (std::vector<double>{7, 8}));
  // y must hold as many elements as x.
  EXPECT_THROW(run("scale", {{"x", {{7, 8}, {2}}}}, {{"y", empty({3})}}), InputError);
}

TEST(Attention, SingleKeyReturnsV) {
  const HostTensor q = random_tensor({1, 2, 1, 8}, 1), k = random_tensor({1, 2, 1, 8}, 2), v = random_tensor({1, 2, 1, 8}, 3);
  const auto out = run("attention", {{"q", q}, {"k", k}, {"v", v}}, {{"o", empty({1, 2, 1, 8})}, {"lse", empty({1, 2, 1})}},
                       {{"B", 1}, {"H", 2}, {"N", 1}, {"D", 8}, {"CAUSAL", 0}}, {{"scale", 0.5}});
  for (size_t i = 0; i < v.values.size(); ++i) EXPECT_NEAR(out.at("o").values[i], v.values[i], 1e-15);
  for (int h = 0; h < 2; ++h) {  // one key: lse is its score
    double s = 0;
    for (int c = 0; c < 8; ++c) s += q.values[h * 8 + c] * k.values[h * 8 + c];
    EXPECT_NEAR(out.at("lse").values[h], 0.5 * s, 1e-13);
  }
}

TEST(Attention, CausalFirstRowIsFirstValue) {
  const HostTensor q = random_tensor({1, 1, 4, 4}, 4), k = random_tensor({1, 1, 4, 4}, 5), v = random_tensor({1, 1, 4, 4}, 6);
  const auto out = run("attention", {{"q", q}, {"k", k}, {"v", v}}, {{"o", empty({1, 1, 4, 4})}}, {{"CAUSAL", 1}});
  for (int c = 0; c < 4; ++c) EXPECT_NEAR(out.at("o").values[c], v.values[c], 1e-15);
}

TEST(Attention, EqualScoresAverageTheVisibleValues) {
  // q = 0: every score is 0, so o is the plain mean of the keys each query sees, lse = ln(keys).
  HostTensor q{std::vector<double>(3 * 2, 0.0), {1, 1, 3, 2}};
  const HostTensor k = random_tensor({1, 1, 3, 2}, 7);
  const HostTensor v{{1, 10, 2, 20, 6, 60}, {1, 1, 3, 2}};
  for (int causal : {0, 1}) {
    const auto out = run("attention", {{"q", q}, {"k", k}, {"v", v}}, {{"o", empty({1, 1, 3, 2})}, {"lse", empty({1, 1, 3})}},
                         {{"CAUSAL", causal}});
    const auto& o = out.at("o").values;
    const auto& lse = out.at("lse").values;
    if (causal) {
      EXPECT_NEAR(o[2], 1.5, 1e-14);
      EXPECT_NEAR(o[3], 15.0, 1e-14);
      EXPECT_NEAR(lse[1], std::log(2.0), 1e-15);
    }
    EXPECT_NEAR(o[4], 3.0, 1e-14);
    EXPECT_NEAR(o[5], 30.0, 1e-14);
    EXPECT_NEAR(lse[2], std::log(3.0), 1e-15);
  }
}

TEST(Attention, FullyMaskedRowGivesZeroAndMinusInfinity) {
  const double inf = std::numeric_limits<double>::infinity();
  const HostTensor q{{1.0}, {1, 1, 1, 1}}, k{{-inf}, {1, 1, 1, 1}}, v{{5.0}, {1, 1, 1, 1}};
  const auto out = run("attention", {{"q", q}, {"k", k}, {"v", v}}, {{"o", empty({1, 1, 1, 1})}, {"lse", empty({1, 1, 1})}});
  EXPECT_EQ(out.at("o").values[0], 0.0);
  EXPECT_EQ(out.at("lse").values[0], -inf);
}

TEST(Attention, ThreadedSlicesMatchOneSliceAtATime) {
  // Many (b,h) slices run on worker threads: each must equal the same slice computed alone.
  const int64_t b = 3, h = 5, n = 17, d = 12;
  const HostTensor q = random_tensor({b, h, n, d}, 8), k = random_tensor({b, h, n, d}, 9), v = random_tensor({b, h, n, d}, 10);
  const auto all = run("attention", {{"q", q}, {"k", k}, {"v", v}}, {{"o", empty({b, h, n, d})}, {"lse", empty({b, h, n})}},
                       {{"CAUSAL", 1}});
  auto slice = [&](const HostTensor& t, int64_t s) {
    return HostTensor{{t.values.begin() + s * n * d, t.values.begin() + (s + 1) * n * d}, {1, 1, n, d}};
  };
  for (int64_t s = 0; s < b * h; ++s) {
    const auto one = run("attention", {{"q", slice(q, s)}, {"k", slice(k, s)}, {"v", slice(v, s)}},
                         {{"o", empty({1, 1, n, d})}, {"lse", empty({1, 1, n})}}, {{"CAUSAL", 1}});
    for (int64_t i = 0; i < n * d; ++i) ASSERT_EQ(all.at("o").values[s * n * d + i], one.at("o").values[i]) << s;
    for (int64_t i = 0; i < n; ++i) ASSERT_EQ(all.at("lse").values[s * n + i], one.at("lse").values[i]) << s;
  }
}

// Only attention declares a sampled form; its rows are the full reference's rows exactly
// (the same row function), every other row 0.
TEST(SampledReference, AttentionRowsAreTheFullReferencesRows) {
  for (const char* name : {"softmax", "layernorm", "rmsnorm", "bias_gelu", "scale"}) EXPECT_EQ(find_sampled_reference(name), nullptr);
  const SampledReference* sampled = find_sampled_reference("attention");
  ASSERT_NE(sampled, nullptr);
  const int64_t b = 2, h = 3, n = 9, d = 8;
  const std::map<std::string, int64_t> dims{{"B", b}, {"H", h}, {"N", n}, {"D", d}, {"CAUSAL", 1}};
  const Tensors inputs{{"q", random_tensor({b, h, n, d}, 11)}, {"k", random_tensor({b, h, n, d}, 12)},
                       {"v", random_tensor({b, h, n, d}, 13)}};
  const auto full = run("attention", inputs, {{"o", empty({b, h, n, d})}, {"lse", empty({b, h, n})}}, dims);
  const std::vector<int64_t> rows = sampled->pick_rows(dims, 7, 42);
  Tensors part{{"o", empty({b, h, n, d})}, {"lse", empty({b, h, n})}};
  sampled->compute_rows(inputs, part, dims, {}, rows);
  for (int64_t r = 0; r < b * h * n; ++r) {
    const bool picked = std::find(rows.begin(), rows.end(), r) != rows.end();
    EXPECT_EQ(part.at("lse").values[r], picked ? full.at("lse").values[r] : 0.0) << r;
    for (int64_t c = 0; c < d; ++c)
      ASSERT_EQ(part.at("o").values[r * d + c], picked ? full.at("o").values[r * d + c] : 0.0) << r;
  }
  EXPECT_THROW(sampled->compute_rows(inputs, part, dims, {}, {b * h * n}), InputError) << "a row past the end";
}

TEST(SampledReference, AttentionPicksEdgeRowsThenRandomOnesDeterministically) {
  const SampledReference& sampled = *find_sampled_reference("attention");
  const std::map<std::string, int64_t> dims{{"B", 2}, {"H", 4}, {"N", 1000}, {"D", 64}};
  const auto rows = sampled.pick_rows(dims, 32, 5);
  ASSERT_EQ(rows.size(), 32u);
  EXPECT_TRUE(std::is_sorted(rows.begin(), rows.end()));
  EXPECT_EQ(std::set<int64_t>(rows.begin(), rows.end()).size(), 32u);
  for (int64_t edge : {int64_t{0}, int64_t{999}, int64_t{7000}, int64_t{7999}})  // first and last of slices 0 and 7
    EXPECT_NE(std::find(rows.begin(), rows.end(), edge), rows.end()) << edge;
  EXPECT_EQ(sampled.pick_rows(dims, 32, 5), rows);
  EXPECT_NE(sampled.pick_rows(dims, 32, 6), rows);
  EXPECT_EQ(sampled.pick_rows({{"B", 1}, {"H", 1}, {"N", 3}, {"D", 8}}, 32, 5), (std::vector<int64_t>{0, 1, 2}));
  // 4*B*H*N^2*D, half of it causal: what decides to sample.
  EXPECT_DOUBLE_EQ(sampled.full_flops(dims), 4.0 * 2 * 4 * 1000 * 1000 * 64);
  auto causal = dims;
  causal["CAUSAL"] = 1;
  EXPECT_DOUBLE_EQ(sampled.full_flops(causal), 2.0 * 2 * 4 * 1000 * 1000 * 64);
}

TEST(ReferenceContract, UnknownOutputNameIsAClearError) {
  try {
    run("softmax", {{"x", {{0, 1}, {1, 2}}}}, {{"out", empty({1, 2})}});
    FAIL() << "expected an error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("'softmax' has no output 'out'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("produces: y"), std::string::npos) << e.what();
  }
}

TEST(ReferenceContract, MissingInputIsAClearError) {
  EXPECT_THROW(run("layernorm", {{"x", {{1, 2}, {1, 2}}}, {"gamma", {{1, 1}, {2}}}}, {{"y", empty({1, 2})}}),
               InputError);
}

TEST(ReferenceContract, ShapeDisagreementsAreErrors) {
  EXPECT_THROW(run("softmax", {{"x", {{0, 1}, {1, 2}}}}, {{"y", empty({1, 3})}}), InputError);
  EXPECT_THROW(run("softmax", {{"x", {{0, 1}, {1, 2}}}}, {{"y", empty({1, 2})}}, {{"N", 4}}), InputError);
  EXPECT_THROW(run("rmsnorm", {{"x", {{0, 1}, {1, 2}}}, {"gamma", {{1}, {1}}}}, {{"y", empty({1, 2})}}), InputError);
  EXPECT_THROW(run("attention", {{"q", random_tensor({1, 1, 2, 2}, 1)}, {"k", random_tensor({1, 1, 3, 2}, 2)},
                                 {"v", random_tensor({1, 1, 2, 2}, 3)}},
                   {{"o", empty({1, 1, 2, 2})}}),
               InputError);
}

}  // namespace
}  // namespace kpg
