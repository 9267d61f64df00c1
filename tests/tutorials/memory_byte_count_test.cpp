// Byte counting of tutorial 4: which buffers each kernel reads and writes, and how many
// bytes, from the real configs in configs/.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tutorials/memory/byte_count.hpp"
#include "tutorials/memory/flop_count.hpp"

namespace kpg::memory {
namespace {

OpConfig load(const std::string& op) {
  return load_config(std::string(KPG_TEST_CONFIGS_DIR) + "/" + op + ".yaml", KPG_TEST_KERNELS_DIR);
}

std::vector<std::string> names(const std::vector<BufferTraffic>& list) {
  std::vector<std::string> out;
  for (const auto& b : list) out.push_back(b.buffer);
  return out;
}

using Names = std::vector<std::string>;

VariantTraffic count(const OpConfig& config, const std::string& variant, const Shape& shape) {
  const VariantSpec* v = config.find_variant(variant);
  EXPECT_NE(v, nullptr);
  return count_traffic(config, *v, theory_space_index(*v, shape, DeviceLimits{}), shape, DeviceLimits{});
}

TEST(MemoryByteCount, SoftmaxUnfusedChainReadsAndWritesByTheRule) {
  const OpConfig config = load("softmax");
  const Shape shape{{{"M", 4096}, {"N", 1024}}, DType::f32};
  const auto t = count(config, "unfused", shape);
  ASSERT_EQ(t.kernels.size(), 4u);
  EXPECT_EQ(t.kernels[0].kernel, "softmax_row_max");
  EXPECT_EQ(names(t.kernels[0].reads), (Names{"x"}));
  EXPECT_EQ(names(t.kernels[0].writes), (Names{"rowmax"}));
  EXPECT_EQ(names(t.kernels[1].reads), (Names{"x", "rowmax"}));
  EXPECT_EQ(names(t.kernels[1].writes), (Names{"e"}));
  EXPECT_EQ(names(t.kernels[2].reads), (Names{"e"}));
  EXPECT_EQ(names(t.kernels[2].writes), (Names{"rowsum"}));
  EXPECT_EQ(names(t.kernels[3].reads), (Names{"e", "rowsum"}));
  EXPECT_EQ(names(t.kernels[3].writes), (Names{"y"}));

  const int64_t matrix = 4096 * 1024 * 4, row_stats = 4096 * 4;  // f32 matrix, f32 per row
  EXPECT_EQ(t.kernels[0].read_bytes(), matrix);
  EXPECT_EQ(t.kernels[0].write_bytes(), row_stats);
  EXPECT_EQ(t.kernels[1].read_bytes(), matrix + row_stats);
  EXPECT_EQ(t.read_bytes(), 4 * matrix + 2 * row_stats);  // x twice, e twice
  EXPECT_EQ(t.write_bytes(), 2 * matrix + 2 * row_stats);
}

TEST(MemoryByteCount, FusedSoftmaxMovesTheMatrixOnceEachWay) {
  const OpConfig config = load("softmax");
  const Shape shape{{{"M", 4096}, {"N", 1024}}, DType::f16};
  const auto t = count(config, "fused", shape);
  ASSERT_EQ(t.kernels.size(), 1u);
  EXPECT_EQ(t.space, "warp_per_row");
  EXPECT_EQ(names(t.kernels[0].reads), (Names{"x"}));
  EXPECT_EQ(names(t.kernels[0].writes), (Names{"y"}));
  EXPECT_EQ(t.read_bytes(), 4096 * 1024 * 2);  // f16 elements
  EXPECT_EQ(t.write_bytes(), 4096 * 1024 * 2);
  EXPECT_DOUBLE_EQ(t.flops(), 5.0 * 4096 * 1024);
}

// A buffer passed inside a tensor map is moved as one passed by pointer.
TEST(MemoryByteCount, TensorMapArgumentsCountTheirBuffers) {
  const OpConfig config = load_config(std::string(KPG_TEST_CONFIGS_DIR) + "/examples/tma_copy.yaml", KPG_TEST_KERNELS_DIR);
  const Shape shape{{{"M", 1000}, {"N", 776}}, DType::bf16};
  const auto t = count_traffic(config, config.variants.at(0), 0, shape, DeviceLimits{});
  ASSERT_EQ(t.kernels.size(), 1u);
  EXPECT_EQ(names(t.kernels[0].reads), (Names{"x"}));
  EXPECT_EQ(names(t.kernels[0].writes), (Names{"y"}));
  EXPECT_EQ(t.total_bytes(), 2 * 1000 * 776 * 2);
}

TEST(MemoryByteCount, ScratchStaysFloat32WhenTheElementTypeIsHalf) {
  const OpConfig config = load("softmax");
  const Shape shape{{{"M", 128}, {"N", 256}}, DType::bf16};
  EXPECT_EQ(buffer_bytes(config, "rowmax", shape, DeviceLimits{}), 128 * 4);
  EXPECT_EQ(buffer_bytes(config, "e", shape, DeviceLimits{}), 128 * 256 * 2);
  EXPECT_THROW(buffer_bytes(config, "nope", shape, DeviceLimits{}), Error);
}

TEST(MemoryByteCount, LayerNormUnfusedReadsWhatEarlierKernelsWrote) {
  const OpConfig config = load("layernorm");
  const Shape shape{{{"M", 64}, {"N", 512}}, DType::f32};
  const auto t = count(config, "unfused", shape);
  ASSERT_EQ(t.kernels.size(), 5u);
  EXPECT_EQ(names(t.kernels[0].writes), (Names{"mean"}));  // an output, written first here
  EXPECT_EQ(names(t.kernels[1].reads), (Names{"x", "mean"}));
  EXPECT_EQ(names(t.kernels[1].writes), (Names{"xc"}));
  EXPECT_EQ(names(t.kernels[2].reads), (Names{"xc"}));
  EXPECT_EQ(names(t.kernels[2].writes), (Names{"rstd"}));
  EXPECT_EQ(names(t.kernels[3].reads), (Names{"xc", "rstd"}));
  EXPECT_EQ(names(t.kernels[4].reads), (Names{"xhat", "gamma", "beta"}));
  EXPECT_EQ(names(t.kernels[4].writes), (Names{"y"}));

  const auto fused = count(config, "fused", shape);
  ASSERT_EQ(fused.kernels.size(), 1u);
  EXPECT_EQ(names(fused.kernels[0].reads), (Names{"x", "gamma", "beta"}));
  EXPECT_EQ(names(fused.kernels[0].writes), (Names{"y", "mean", "rstd"}));
  EXPECT_GT(t.total_bytes(), 3 * fused.total_bytes());
}

TEST(MemoryByteCount, TheorySpaceFollowsTheConstraintsAtTheShape) {
  const OpConfig config = load("softmax");
  const VariantSpec& fused = *config.find_variant("fused");
  const auto space_at = [&](int64_t n) {
    return fused.spaces[theory_space_index(fused, {{{"M", 64}, {"N", n}}, DType::f32}, {})].name;
  };
  // 1024 f32 columns fit a warp; 32768 fit a 512-thread block at 64 values a thread; a
  // 16-byte aligned 262,144 takes shared-memory slices, an unaligned 131,073 register
  // slices; 2^23 fits neither at 16 slices a row, so the online space is what remains.
  EXPECT_EQ(space_at(1024), "warp_per_row");
  EXPECT_EQ(space_at(32768), "block_per_row");
  EXPECT_EQ(space_at(262144), "split_smem");
  EXPECT_EQ(space_at(131073), "split");
  EXPECT_EQ(space_at(int64_t{1} << 23), "online");
  EXPECT_EQ(space_index_of(fused, "block_per_row:CLUSTER=1,THREADS=256"), 1u);
  EXPECT_EQ(space_index_of(fused, "split_smem:BPS=3,SPLIT=16,THREADS=512"), 2u);
  EXPECT_EQ(space_index_of(fused, "split:MIN_BLOCKS=2,SPLIT=16,THREADS=512"), 3u);
  EXPECT_EQ(space_index_of(fused, "online"), 4u);
}

// The roofline of tutorial 4 drops a kernel with no flop count: every kernel of the
// row-wise ops must have one (softmax_split once had none).
TEST(MemoryByteCount, EveryRowWiseKernelHasAFlopCount) {
  const Shape shape{{{"M", 2}, {"N", 3}}, DType::f32};
  for (const std::string op : {"softmax", "layernorm", "rmsnorm"}) {
    const OpConfig config = load(op);
    for (const auto& variant : config.variants)
      for (const auto& space : variant.spaces)
        for (const auto& launch : space.launches)
          EXPECT_GT(kernel_flops(op, launch.kernel, shape), 0.0) << op << ": " << launch.kernel;
  }
}

TEST(MemoryByteCount, FlashAttentionAndTheModelledEagerChain) {
  const OpConfig config = load("attention");
  const Shape shape{{{"B", 4}, {"H", 32}, {"N", 4096}, {"D", 64}, {"CAUSAL", 0}}, DType::f16};
  const int64_t qkv = int64_t{4} * 32 * 4096 * 64 * 2, lse = int64_t{4} * 32 * 4096 * 4;
  const auto flash = count(config, "flash", shape);  // stage 3's default: persistent blocks
  ASSERT_EQ(flash.kernels.size(), 1u);
  EXPECT_EQ(names(flash.kernels[0].reads), (Names{"q", "k", "v"}));
  EXPECT_EQ(names(flash.kernels[0].writes), (Names{"o", "lse", "tiles"}));  // tiles: the work counter, 2 x i32
  EXPECT_EQ(flash.total_bytes(), 4 * qkv + lse + 8);
  EXPECT_DOUBLE_EQ(flash.flops(), attention_flops(shape));

  const auto eager = eager_attention_traffic(shape);
  const int64_t scores = int64_t{4} * 32 * 4096 * 4096 * 2;
  ASSERT_EQ(eager.kernels.size(), 3u);
  EXPECT_EQ(eager.total_bytes(), (2 * qkv + scores) + (2 * scores) + (scores + 2 * qkv));
  EXPECT_FALSE(eager.note.empty());
  Shape causal = shape;
  causal.dims["CAUSAL"] = 1;
  EXPECT_DOUBLE_EQ(attention_flops(causal), attention_flops(shape) / 2);
}

}  // namespace
}  // namespace kpg::memory
