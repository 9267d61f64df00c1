// GPU self-test of the wgmma building blocks of flash_attn_fwd_wgmma (kernels_src/attention/
// wgmma.cuh): one warpgroup, one tile, small integer inputs so that every product is exact
// in float32. Each case names what it exercises, so a failing one localises the bug:
//   S = Q K^T (wgmma_ss, K-major descriptors): D = 64 uses one 128-byte column block, D = 128
//     two (k-steps 4..7 start in the second block);
//   O = P V (wgmma_rs_tb, V MN-major, imm-trans-b): D = 64 one 64-wide N block, D = 128 two
//     (the descriptor's LBO); BLOCK_N = 128 eight k-steps (start address + 2048 k).
// Kernel: tests/tutorials/kernels/wgmma_selftest.cu. Needs an sm_90 GPU (sm_90a code).

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <random>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "runtime/buffer.hpp"
#include "runtime/compiler.hpp"
#include "runtime/module.hpp"
#include "tests/gpu_test_env.hpp"
#include "tuner/half.hpp"

namespace kpg {
namespace {

namespace fs = std::filesystem;

// (HEAD_DIM, BLOCK_N, bf16)
using WgmmaCase = std::tuple<int, int, bool>;

class WgmmaTileGpu : public testing::GpuTest, public ::testing::WithParamInterface<WgmmaCase> {};

// Row-major [rows][cols] of small integers in [-3, 3] (exact in f16 and bf16).
std::vector<float> small_ints(int rows, int cols, std::mt19937& rng) {
  std::uniform_int_distribution<int> dist(-3, 3);
  std::vector<float> m(static_cast<size_t>(rows) * cols);
  for (auto& v : m) v = static_cast<float>(dist(rng));
  return m;
}

std::vector<uint16_t> to_16bit(const std::vector<float>& m, bool bf16) {
  std::vector<uint16_t> out(m.size());
  for (size_t i = 0; i < m.size(); ++i) out[i] = bf16 ? float_to_bf16(m[i]) : float_to_half(m[i]);
  return out;
}

DeviceBuffer upload(const std::vector<uint16_t>& m) {
  DeviceBuffer b(m.size() * 2);
  b.upload(m.data(), m.size() * 2);
  return b;
}

// Mismatch count and the first few mismatches as "(row, col) got X want Y; ...".
std::string compare(const std::vector<float>& got, const std::vector<float>& want, int cols, int* bad) {
  std::ostringstream out;
  *bad = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    if (got[i] == want[i]) continue;
    if (++*bad <= 8) out << "(" << i / cols << ", " << i % cols << ") got " << got[i] << " want " << want[i] << "; ";
  }
  return out.str();
}

TEST_P(WgmmaTileGpu, OneTileMatchesExactProducts) {
  const auto [d, n, bf16] = GetParam();
  if (device().props().arch() != "sm_90") GTEST_SKIP() << "wgmma (sm_90a) needs an sm_90 GPU";
  CompileOptions o;
  o.arch = "sm_90a";
  o.defines = {{"HEAD_DIM", std::to_string(d)}, {"BLOCK_N", std::to_string(n)},
               {bf16 ? "KPG_DTYPE_BF16" : "KPG_DTYPE_F16", "1"}};
  o.include_dirs = {fs::path(KPG_TEST_KERNELS_DIR)};
  const Module module =
      Module::load(Compiler().compile_file(fs::path(KPG_TEST_SOURCE_DIR) / "tutorials/kernels/wgmma_selftest.cu", o).image);
  const Function fn = module.function("wgmma_selftest");

  std::mt19937 rng(static_cast<unsigned>(d * 1000 + n + (bf16 ? 1 : 0)));
  const auto q = small_ints(64, d, rng), k = small_ints(n, d, rng), p = small_ints(64, n, rng), v = small_ints(n, d, rng);
  std::vector<float> s_ref(64 * n, 0.0f), o_ref(64 * d, 0.0f);
  for (int r = 0; r < 64; ++r)
    for (int c = 0; c < n; ++c)
      for (int e = 0; e < d; ++e) s_ref[r * n + c] += q[r * d + e] * k[c * d + e];
  for (int r = 0; r < 64; ++r)
    for (int c = 0; c < d; ++c)
      for (int e = 0; e < n; ++e) o_ref[r * d + c] += p[r * n + e] * v[e * d + c];

  DeviceBuffer dq = upload(to_16bit(q, bf16)), dk = upload(to_16bit(k, bf16)), dp = upload(to_16bit(p, bf16)),
               dv = upload(to_16bit(v, bf16));
  DeviceBuffer ds(s_ref.size() * 4), dout(o_ref.size() * 4);
  ds.fill_bytes(0xFF);  // NaN: an element never written cannot pass
  dout.fill_bytes(0xFF);
  LaunchConfig lc;
  lc.block = {128, 1, 1};
  lc.shared_bytes = static_cast<unsigned>((64 + 2 * n) * d * 2 + 1024);
  fn.launch(lc, dq.ptr(), dk.ptr(), dp.ptr(), dv.ptr(), ds.ptr(), dout.ptr());
  std::vector<float> s_got(s_ref.size()), o_got(o_ref.size());
  ds.download(s_got.data(), s_got.size() * 4);
  dout.download(o_got.data(), o_got.size() * 4);

  int bad = 0;
  const std::string s_report = compare(s_got, s_ref, n, &bad);
  EXPECT_EQ(bad, 0) << "S = Q K^T (wgmma_ss, K-major descriptors): " << bad << " of " << s_ref.size()
                    << " wrong: " << s_report;
  const std::string o_report = compare(o_got, o_ref, d, &bad);
  EXPECT_EQ(bad, 0) << "O = P V (wgmma_rs_tb, V MN-major): " << bad << " of " << o_ref.size()
                    << " wrong: " << o_report;
}

std::string wgmma_case_name(const ::testing::TestParamInfo<WgmmaCase>& info) {
  const auto [d, n, bf16] = info.param;
  return "D" + std::to_string(d) + "_N" + std::to_string(n) + (bf16 ? "_bf16" : "_f16");
}

INSTANTIATE_TEST_SUITE_P(Tiles, WgmmaTileGpu,
                         ::testing::Combine(::testing::Values(64, 128), ::testing::Values(64, 128), ::testing::Bool()),
                         wgmma_case_name);

}  // namespace
}  // namespace kpg
