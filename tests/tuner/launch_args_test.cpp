// LaunchArgs without a GPU: every argument's bytes in its slot, tensor maps in 128-byte,
// 64-byte-aligned slots encoded (by a fake encoder standing in for the driver) when bound,
// again when their buffer's pointer changes and not otherwise, refused for a misaligned
// pointer, never left holding an old buffer's map.

#include "tuner/launch_args.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <stdexcept>

#include "runtime/error.hpp"
#include "tests/tuner/tuner_test_support.hpp"

namespace kpg {
namespace {

// x [M, N] and y [M, N] as tensor maps (swizzled by their row: 128 bytes in f32, 64 in f16),
// then a scalar, a dim, a plain pointer, typed values.
const std::string kYaml = R"(op: maps
source: maps.cu
dims: [M, N]
dtypes: [f32, f16]
buffers:
  x: {dtype: T, shape: [M, N]}
  y: {dtype: T, shape: [M, N], output: true}
  w: {dtype: f32, shape: [N]}
scalars: {alpha: 2.5}
reference: {builtin: scale}
variants:
  tiled:
    params:
      BM: [64]
      BN: [32]
    launches:
      - kernel: first
        args:
          - {tensor_map: x, box: [BM, BN], swizzle: &row {mul: [BN, ELEM_BYTES]}}
          - {tensor_map: y, box: [BM, BN], swizzle: *row}
          - alpha
          - M
          - w
          - {i64: {mul: [M, N]}}
          - {f32: 0.5}
        block: [128]
        grid: [1]
      - kernel: second
        args: [{tensor_map: x, box: [16, 32]}, y]
        block: [32]
        grid: [1]
)";

// What the fake encoder writes: the address, then the box, innermost first as the driver
// takes it, then a marker; and a log of every call.
struct FakeEncoder {
  struct Call {
    TensorMapLayout layout;
    CUdeviceptr address;
  };
  std::vector<Call> calls;
  bool fail = false;

  TensorMapEncoder encoder() {
    return [this](const TensorMapLayout& layout, CUdeviceptr address, CUtensorMap& map) {
      if (fail) throw Error("fake encoder refused");
      calls.push_back({layout, address});
      map.opaque[0] = address;
      map.opaque[1] = static_cast<uint64_t>(layout.box.back());
      map.opaque[2] = static_cast<uint64_t>(layout.box.front());
      map.opaque[15] = 0x7a7a7a7a;
    };
  }
};

class LaunchArgsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    test::write_file(dir_.path() / "kernels" / "maps.cu", "\n");
    config_ = load_config(test::write_file(dir_.path() / "maps.yaml", kYaml), dir_.path() / "kernels");
    binding_.buffers = {{"x", 0x10000}, {"y", 0x20000}, {"w", 0x30008}};
    binding_.scalars = {{"alpha", 2.5}};
  }
  const SpaceSpec& space() const { return config_.variants.at(0).spaces.at(0); }
  Candidate candidate() const { return Candidate{"tiled", 0, "tiled", {{"BM", 64}, {"BN", 32}}, true}; }
  LaunchArgs make(const Shape& shape) { return LaunchArgs(space(), candidate(), shape, binding_, DeviceLimits{}, fake_.encoder()); }

  static const CUtensorMap& map_at(const LaunchArgs& args, size_t launch, size_t position) {
    return *static_cast<const CUtensorMap*>(args.pointers(launch)[position]);
  }
  template <class T>
  static T value_at(const LaunchArgs& args, size_t launch, size_t position) {
    T v;
    std::memcpy(&v, args.pointers(launch)[position], sizeof v);
    return v;
  }

  const Shape shape_{{{"M", 1000}, {"N", 776}}, DType::f32};
  test::TempDir dir_;
  OpConfig config_;
  LaunchBinding binding_;
  FakeEncoder fake_;
};

TEST_F(LaunchArgsTest, EveryArgumentHasAnAlignedSlotWithItsValue) {
  const LaunchArgs args = make(shape_);
  ASSERT_EQ(args.launch_count(), 2u);
  for (size_t launch = 0; launch < 2; ++launch)
    for (size_t i = 0; i < (launch == 0 ? 7u : 2u); ++i) {
      const auto at = reinterpret_cast<uintptr_t>(args.pointers(launch)[i]);
      EXPECT_EQ(at % 64, 0u) << launch << "/" << i;  // what the driver needs of a tensor map
    }
  // Each slot holds 128 bytes: consecutive slots do not overlap.
  EXPECT_GE(static_cast<char*>(args.pointers(0)[1]) - static_cast<char*>(args.pointers(0)[0]), 128);

  EXPECT_EQ(map_at(args, 0, 0).opaque[0], 0x10000u);
  EXPECT_EQ(map_at(args, 0, 0).opaque[1], 32u);  // innermost box dim
  EXPECT_EQ(map_at(args, 0, 0).opaque[2], 64u);
  EXPECT_EQ(map_at(args, 0, 0).opaque[15], 0x7a7a7a7au);
  EXPECT_EQ(map_at(args, 0, 1).opaque[0], 0x20000u);
  EXPECT_EQ(value_at<float>(args, 0, 2), 2.5f);
  EXPECT_EQ(value_at<int32_t>(args, 0, 3), 1000);
  EXPECT_EQ(value_at<CUdeviceptr>(args, 0, 4), 0x30008u);  // a plain pointer may sit anywhere
  EXPECT_EQ(value_at<int64_t>(args, 0, 5), 776000);
  EXPECT_EQ(value_at<float>(args, 0, 6), 0.5f);
  EXPECT_EQ(map_at(args, 1, 0).opaque[1], 32u);
  EXPECT_EQ(map_at(args, 1, 0).opaque[2], 16u);
  EXPECT_EQ(value_at<CUdeviceptr>(args, 1, 1), 0x20000u);

  EXPECT_EQ(args.tensor_map_positions(0), (std::vector<size_t>{0, 1}));
  EXPECT_EQ(args.tensor_map_positions(1), (std::vector<size_t>{0}));
  EXPECT_EQ(args.describe_tensor_maps(0), "tmap(x,[64,32],sw128),tmap(y,[64,32],sw128)");
  EXPECT_EQ(args.describe_tensor_maps(1), "tmap(x,[16,32])");
  EXPECT_NO_THROW(args.check_bound());
}

TEST_F(LaunchArgsTest, TheEncoderSeesTheBuffersLayout) {
  const LaunchArgs args = make(Shape{{{"M", 1000}, {"N", 776}}, DType::f16});
  ASSERT_EQ(fake_.calls.size(), 3u);  // x and y of the first launch, x of the second
  const TensorMapLayout& x = fake_.calls[0].layout;
  EXPECT_EQ(x.data_type, CU_TENSOR_MAP_DATA_TYPE_FLOAT16);
  EXPECT_EQ(x.element_bytes, 2);
  EXPECT_EQ(x.dims, (std::vector<int64_t>{1000, 776}));
  EXPECT_EQ(x.box, (std::vector<int64_t>{64, 32}));
  EXPECT_EQ(x.swizzle_bytes, 64);
  EXPECT_EQ(fake_.calls[2].layout.swizzle_bytes, 0);
}

TEST_F(LaunchArgsTest, NamedArgumentsIncludeTensorMapsByTheirBuffersName) {
  const LaunchArgs args = make(shape_);
  const auto& named = args.named_args();
  ASSERT_EQ(named.size(), 6u);
  const std::vector<std::tuple<std::string, bool, bool>> expected = {
      {"x", false, true}, {"y", false, true}, {"alpha", true, false}, {"w", false, false}, {"x", false, true}, {"y", false, false}};
  for (size_t i = 0; i < named.size(); ++i) {
    EXPECT_EQ(named[i].name, std::get<0>(expected[i])) << i;
    EXPECT_EQ(named[i].scalar, std::get<1>(expected[i])) << i;
    EXPECT_EQ(named[i].tensor_map, std::get<2>(expected[i])) << i;
  }
}

TEST_F(LaunchArgsTest, ANewPointerIsEncodedIntoTheMapAndTheSamePointerIsNot) {
  LaunchArgs args = make(shape_);
  ASSERT_EQ(fake_.calls.size(), 3u);
  args.set_pointer(0, 0x50000);  // x of the first launch
  ASSERT_EQ(fake_.calls.size(), 4u);
  EXPECT_EQ(fake_.calls.back().address, 0x50000u);
  EXPECT_EQ(map_at(args, 0, 0).opaque[0], 0x50000u);
  EXPECT_EQ(map_at(args, 1, 0).opaque[0], 0x10000u);  // the second launch's x is its own named argument
  args.set_pointer(0, 0x50000);
  EXPECT_EQ(fake_.calls.size(), 4u) << "the map holds this address already";

  // rebind: every map whose pointer changed, and only those.
  binding_.buffers["x"] = 0x60000;
  args.rebind(binding_);
  EXPECT_EQ(fake_.calls.size(), 6u);  // x in both launches; y unchanged
  EXPECT_EQ(map_at(args, 0, 0).opaque[0], 0x60000u);
  EXPECT_EQ(map_at(args, 1, 0).opaque[0], 0x60000u);
  EXPECT_EQ(map_at(args, 0, 1).opaque[0], 0x20000u);
  binding_.buffers["y"] = 0x70000;
  args.rebind(binding_);
  EXPECT_EQ(fake_.calls.size(), 7u);
  EXPECT_EQ(map_at(args, 0, 1).opaque[0], 0x70000u);
  EXPECT_EQ(value_at<CUdeviceptr>(args, 1, 1), 0x70000u);  // y as a plain pointer too
}

TEST_F(LaunchArgsTest, AMisalignedPointerIsRefusedWithTheBuffersName) {
  LaunchArgs args = make(shape_);
  try {
    args.set_pointer(1, 0x20008);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("tensor map of buffer 'y'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("not 16-byte aligned"), std::string::npos) << e.what();
  }
  binding_.buffers["x"] = 0x10004;
  EXPECT_THROW(make(shape_), Error);
}

TEST_F(LaunchArgsTest, ANullPointerLeavesTheMapUnboundUntilAPointerComes) {
  binding_.buffers["x"] = 0;  // the library binds every buffer at launch time
  LaunchArgs args = make(shape_);
  EXPECT_EQ(fake_.calls.size(), 1u);  // y only
  EXPECT_EQ(map_at(args, 0, 0).opaque[0], 0u);
  try {
    args.check_bound();
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("tensor map of buffer 'x' has no buffer bound"), std::string::npos) << e.what();
  }
  args.set_pointer(0, 0x10000);
  EXPECT_THROW(args.check_bound(), Error);  // the second launch's x is still unbound
  args.set_pointer(4, 0x10000);
  EXPECT_NO_THROW(args.check_bound());
  args.set_pointer(0, 0);
  EXPECT_THROW(args.check_bound(), Error);
}

TEST_F(LaunchArgsTest, AFailedEncodeLeavesNoMapOfTheOldBuffer) {
  LaunchArgs args = make(shape_);
  fake_.fail = true;
  EXPECT_THROW(args.set_pointer(0, 0x50000), Error);
  EXPECT_EQ(map_at(args, 0, 0).opaque[0], 0u);
  EXPECT_EQ(map_at(args, 0, 0).opaque[15], 0u);
  EXPECT_THROW(args.check_bound(), Error);
  fake_.fail = false;
  args.set_pointer(0, 0x50000);
  EXPECT_NO_THROW(args.check_bound());
  EXPECT_EQ(map_at(args, 0, 0).opaque[0], 0x50000u);
}

TEST_F(LaunchArgsTest, KindsAndBoundsOfNamedArguments) {
  LaunchArgs args = make(shape_);
  EXPECT_THROW(args.set_scalar(0, 1.0), Error);  // x is a buffer
  EXPECT_THROW(args.set_pointer(2, 0x10000), Error);  // alpha is a scalar
  EXPECT_THROW(args.set_pointer(6, 0x10000), std::out_of_range);
  args.set_scalar(2, -4.0);
  EXPECT_EQ(value_at<float>(args, 0, 2), -4.0f);
  binding_.buffers.erase("y");
  try {
    args.rebind(binding_);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("argument 'y': no pointer for this buffer"), std::string::npos) << e.what();
  }
}

TEST_F(LaunchArgsTest, AMapTheDriverWouldRefuseIsAnErrorNotAnEncode) {
  // N = 777 f32: rows of 3108 bytes (enumerate() prunes such candidates before a plan).
  try {
    make(Shape{{{"M", 1000}, {"N", 777}}, DType::f32});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("first: tensor map of x: stride of dim 0 is 3108 bytes"), std::string::npos)
        << e.what();
  }
  EXPECT_TRUE(fake_.calls.empty());
}

// The same arguments without tensor maps, packed as before: the existing ops' launches.
TEST(LaunchArgsPlain, PointersDimsAndTypedValuesKeepTheirBytes) {
  const test::TempDir dir;
  const OpConfig c = test::load_yaml(dir, test::kTinyYaml);
  const SpaceSpec& warp = c.find_variant("fused")->spaces.at(0);
  LaunchBinding b;
  b.buffers = {{"x", 0x1230}, {"y", 0x4560}, {"rowmax", 0x7890}};
  b.scalars = {{"eps", 1e-5}};
  const Candidate cand{"fused", 0, "warp", {{"VEC", 4}, {"WARPS", 2}}, false};
  const LaunchArgs args(warp, cand, Shape{{{"M", 64}, {"N", 300}}, DType::f32}, b, DeviceLimits{},
                        [](const TensorMapLayout&, CUdeviceptr, CUtensorMap&) { FAIL() << "no tensor map here"; });
  // args: [x, y, M, N, VEC, eps, {f32: 0.5}, {i64: {mul: [M, N]}}]
  const auto get = [&](size_t i, auto v) {
    std::memcpy(&v, args.pointers(0)[i], sizeof v);
    return v;
  };
  EXPECT_EQ(get(0, CUdeviceptr{}), 0x1230u);
  EXPECT_EQ(get(1, CUdeviceptr{}), 0x4560u);
  EXPECT_EQ(get(2, int32_t{}), 64);
  EXPECT_EQ(get(3, int32_t{}), 300);
  EXPECT_EQ(get(4, int32_t{}), 4);
  EXPECT_EQ(get(5, float{}), 1e-5f);
  EXPECT_EQ(get(6, float{}), 0.5f);
  EXPECT_EQ(get(7, int64_t{}), 64 * 300);
  EXPECT_EQ(args.describe_tensor_maps(0), "");
  EXPECT_TRUE(args.tensor_map_positions(0).empty());
}

}  // namespace
}  // namespace kpg
