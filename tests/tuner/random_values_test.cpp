// random_values(): a workload's inputs are drawn in parallel blocks, and the same seed gives
// the same values whatever the number of threads.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <set>
#include <vector>

#include "tuner/workload.hpp"

namespace kpg {
namespace {

const InitSpec kNormal{InitSpec::normal, 0.5, 2.0};
constexpr int64_t kBlock = int64_t{1} << 16;  // the generator's block, kRandomBlock in workload.cpp
constexpr int64_t kN = 5 * kBlock + 12345;    // several blocks and a partial last one

TEST(RandomValues, TheSameSeedGivesTheSameValuesOnAnyNumberOfThreads) {
  const std::vector<double> one = random_values(kNormal, kN, 42, 1);
  for (const size_t chunks : {size_t{2}, size_t{3}, size_t{7}, size_t{64}, size_t{0}})
    EXPECT_EQ(random_values(kNormal, kN, 42, chunks), one) << chunks << " threads";
}

TEST(RandomValues, SeedsAndBlocksDrawDifferentValues) {
  const std::vector<double> a = random_values(kNormal, kN, 42);
  const std::vector<double> b = random_values(kNormal, kN, 43);
  ASSERT_EQ(a.size(), static_cast<size_t>(kN));
  size_t same = 0;
  for (size_t i = 0; i < a.size(); ++i) same += a[i] == b[i];
  EXPECT_EQ(same, 0u) << "seeds 42 and 43 share values";
  // No block repeats another's start (each block has its own generator).
  std::set<double> starts;
  for (int64_t block = 0; block * kBlock < kN; ++block) starts.insert(a[static_cast<size_t>(block * kBlock)]);
  EXPECT_EQ(starts.size(), static_cast<size_t>((kN + kBlock - 1) / kBlock));
}

TEST(RandomValues, NormalAndUniformHaveTheirMomentsAndRange) {
  const std::vector<double> v = random_values(kNormal, kN, 7);
  double sum = 0, sq = 0;
  for (const double x : v) sum += x;
  const double mean = sum / static_cast<double>(v.size());
  for (const double x : v) sq += (x - mean) * (x - mean);
  const double sd = std::sqrt(sq / static_cast<double>(v.size()));
  // Standard errors at 340 k values: 0.0034 for the mean, 0.0024 for the deviation.
  EXPECT_NEAR(mean, 0.5, 0.03);
  EXPECT_NEAR(sd, 2.0, 0.03);

  const std::vector<double> u = random_values(InitSpec{InitSpec::uniform, -1.0, 3.0}, kN, 7);
  EXPECT_GE(*std::min_element(u.begin(), u.end()), -1.0);
  EXPECT_LT(*std::max_element(u.begin(), u.end()), 3.0);
  double usum = 0;
  for (const double x : u) usum += x;
  EXPECT_NEAR(usum / static_cast<double>(u.size()), 1.0, 0.03);
}

TEST(RandomValues, ConstantAndIotaIgnoreTheSeed) {
  const std::vector<double> c = random_values(InitSpec{InitSpec::constant, 1.25, 0}, 1000, 1);
  EXPECT_TRUE(std::all_of(c.begin(), c.end(), [](double x) { return x == 1.25; }));
  const std::vector<double> i = random_values(InitSpec{InitSpec::iota, 0, 0}, 1000, 99);
  for (size_t k = 0; k < i.size(); ++k) ASSERT_EQ(i[k], static_cast<double>(k));
  EXPECT_TRUE(random_values(kNormal, 0, 3).empty());
}

// encode() splits a large vector over the cores: every element is converted as alone.
TEST(RandomValues, ThreadedEncodeMatchesOneElementAtATime) {
  const std::vector<double> v = random_values(kNormal, int64_t{3} << 20, 5);  // above the threading threshold
  for (const DType dtype : {DType::f32, DType::f16, DType::bf16}) {
    const std::vector<uint8_t> all = encode(v, dtype);
    const size_t width = dtype_bytes(dtype);
    ASSERT_EQ(all.size(), v.size() * width);
    for (size_t i = 0; i < v.size(); i += 997) {
      const std::vector<uint8_t> one = encode({v[i]}, dtype);
      ASSERT_TRUE(std::equal(one.begin(), one.end(), all.begin() + static_cast<std::ptrdiff_t>(i * width)))
          << dtype_name(dtype) << " element " << i;
    }
  }
}

}  // namespace
}  // namespace kpg
