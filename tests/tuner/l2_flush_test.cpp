// The timer's L2 flush: its hand-written PTX assembles (CPU, with the toolkit's ptxas), and
// its read kernel reads every chunk it is given and none past them (GPU).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <unistd.h>

#include "runtime/buffer.hpp"
#include "runtime/stream.hpp"
#include "tests/gpu_test_env.hpp"
#include "tuner/l2_flush.hpp"

namespace kpg {
namespace {

namespace fs = std::filesystem;

TEST(L2FlushPtx, AssemblesForHopperWithPtxas) {
  ASSERT_TRUE(fs::exists(KPG_TEST_PTXAS)) << KPG_TEST_PTXAS;
  const fs::path dir = fs::temp_directory_path() / ("kpg_l2_flush_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "read.ptx") << L2Flush::ptx();
  const std::string command = std::string(KPG_TEST_PTXAS) + " -arch=sm_90 " + (dir / "read.ptx").string() + " -o " +
                              (dir / "read.cubin").string() + " 2> " + (dir / "ptxas.log").string();
  const int status = std::system(command.c_str());
  std::ifstream log(dir / "ptxas.log");
  const std::string errors((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  EXPECT_EQ(status, 0) << errors;
  EXPECT_GT(fs::exists(dir / "read.cubin") ? fs::file_size(dir / "read.cubin") : 0, 0u);
  fs::remove_all(dir);
}

class L2FlushGpu : public testing::GpuTest {
 protected:
  // `chunks` zero chunks then one more, with kNeverXor in the last word of chunk `marked`;
  // returns what the read of the first `read` chunks left in word 0.
  uint32_t word0_after_read(uint64_t chunks, uint64_t marked, uint64_t read) const {
    std::vector<uint32_t> host((chunks + 1) * 4, 0);
    host[marked * 4 + 3] = L2Flush::kNeverXor;
    DeviceBuffer buffer(host.size() * sizeof(uint32_t));
    buffer.upload(host.data(), host.size() * sizeof(uint32_t));
    const L2Flush flush(device().props());
    Stream stream;
    flush.read(buffer.ptr(), read, stream.get());
    stream.synchronize();
    uint32_t word0 = 0;
    buffer.download(&word0, sizeof word0);
    return word0;
  }
};

// Chunk counts that are not multiples of the grid (132 SMs x 8 blocks x 256 threads on the
// H100 = 270,336), one below it and several strides long: the marked chunk is the last read.
TEST_F(L2FlushGpu, ReadsTheLastChunkOfEveryLength) {
  for (uint64_t chunks : {1ull, 781ull, 65537ull, 270335ull, 1000003ull}) {
    EXPECT_EQ(word0_after_read(chunks, chunks - 1, chunks), L2Flush::kNeverXor) << chunks << " chunks";
    EXPECT_EQ(word0_after_read(chunks, 0, chunks), L2Flush::kNeverXor) << chunks << " chunks, first marked";
  }
}

TEST_F(L2FlushGpu, ReadsNothingPastTheChunksItIsGiven) {
  for (uint64_t chunks : {1ull, 781ull, 65537ull}) EXPECT_EQ(word0_after_read(chunks, chunks, chunks), 0u) << chunks;
}

TEST_F(L2FlushGpu, RunLeavesNoErrorOnTheStream) {
  const L2Flush flush(device().props());
  Stream stream;
  for (int i = 0; i < 3; ++i) flush.run(stream.get());
  EXPECT_NO_THROW(stream.synchronize());
}

}  // namespace
}  // namespace kpg
