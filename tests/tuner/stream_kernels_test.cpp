// The timer's hand-written PTX: it assembles (CPU, with the toolkit's ptxas), its streaming
// kernel reads every chunk it is given and none past them, copies what it reads and writes
// zeros past it and nothing past the chunks to write, and its hold waits (GPU).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include <unistd.h>

#include "runtime/buffer.hpp"
#include "runtime/error.hpp"
#include "runtime/event.hpp"
#include "runtime/stream.hpp"
#include "tests/gpu_test_env.hpp"
#include "tuner/stream_kernels.hpp"

namespace kpg {
namespace {

namespace fs = std::filesystem;

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(StreamKernelsPtx, AssemblesForHopperWithPtxasWithBothKernels) {
  ASSERT_TRUE(fs::exists(KPG_TEST_PTXAS)) << KPG_TEST_PTXAS;
  const fs::path dir = fs::temp_directory_path() / ("kpg_stream_ptx_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "stream.ptx") << StreamKernels::ptx();
  const std::string command = std::string(KPG_TEST_PTXAS) + " -v -arch=sm_90 " + (dir / "stream.ptx").string() +
                              " -o " + (dir / "stream.cubin").string() + " > " + (dir / "ptxas.log").string() +
                              " 2>&1";
  const int status = std::system(command.c_str());
  const std::string log = read_text(dir / "ptxas.log");
  EXPECT_EQ(status, 0) << log;
  EXPECT_GT(fs::exists(dir / "stream.cubin") ? fs::file_size(dir / "stream.cubin") : 0, 0u);
  // Every entry is compiled, and each streaming kernel keeps 2048 threads on an SM (65,536
  // registers: 32 a thread at most); the evict-first one stores with st.global.cs.
  EXPECT_NE(log.find("entry function 'kpg_hold'"), std::string::npos) << log;
  for (const std::string name : {"kpg_stream", "kpg_stream_cs"}) {
    const auto entry = log.find("entry function '" + name + "'");
    ASSERT_NE(entry, std::string::npos) << name << ": " << log;
    const auto used = log.find("Used ", entry);
    ASSERT_NE(used, std::string::npos) << log;
    EXPECT_LE(std::stoi(log.substr(used + 5)), 32) << name << ": " << log;
  }
  const std::string ptx = StreamKernels::ptx();
  const auto cs = ptx.find(".entry kpg_stream_cs(");
  ASSERT_NE(cs, std::string::npos);
  EXPECT_EQ(ptx.find("st.global.v4", cs), std::string::npos) << "a plain 16-byte store in kpg_stream_cs";
  EXPECT_NE(ptx.find("st.global.cs.v4", cs), std::string::npos);
  fs::remove_all(dir);
}

// An H100's limits: 132 SMs of 2048 threads and 32 blocks.
DeviceProperties h100() {
  DeviceProperties p;
  p.sm_count = 132;
  p.max_threads_per_sm = 2048;
  p.max_blocks_per_sm = 32;
  return p;
}

TEST(StreamKernelsGrid, BalancedRoundsUseAsFewBlocksAsDoTheResidentGridsRounds) {
  using Grid = StreamKernels::Grid;
  const uint64_t chunks = (uint64_t{25} << 20) / 16;  // 25 MiB: 1600 tiles of 1024 chunks, 1.52 resident grids
  EXPECT_EQ(StreamKernels::blocks({Grid::resident, 256}, chunks, h100()), 132u * 8);
  EXPECT_EQ(StreamKernels::blocks({Grid::tile_per_block, 256}, chunks, h100()), 1600u);
  EXPECT_EQ(StreamKernels::blocks({Grid::balanced, 256}, chunks, h100()), 800u);  // two tiles each
  EXPECT_EQ(StreamKernels::blocks({Grid::resident, 64}, chunks, h100()), 132u * 32);
  EXPECT_EQ(StreamKernels::blocks({Grid::balanced, 64}, chunks, h100()), 3200u);
  // Fewer tiles than the resident grid: one round, a block a tile.
  EXPECT_EQ(StreamKernels::blocks({Grid::balanced, 256}, 1000 * 1024, h100()), 1000u);
  EXPECT_EQ(StreamKernels::blocks({Grid::tile_per_block, 256}, 1, h100()), 1u);
  EXPECT_EQ(StreamKernels::blocks({Grid::balanced, 256}, 0, h100()), 1u);
  // Whole rounds: balanced is the resident grid.
  EXPECT_EQ(StreamKernels::blocks({Grid::balanced, 256}, 3 * 1056 * 1024, h100()), 1056u);
  // A device that reports no limits still gets a grid.
  EXPECT_GE(StreamKernels::blocks({Grid::resident, 256}, chunks, DeviceProperties{}), 1u);
  EXPECT_THROW(StreamKernels::blocks({Grid::resident, 100}, chunks, h100()), Error);
}

class StreamKernelsGpu : public testing::GpuTest {
 protected:
  void SetUp() override {
    testing::GpuTest::SetUp();
    if (IsSkipped()) return;
    kernels_.emplace(device().props());
  }

  // `chunks` zero chunks then one more, with kNeverXor in the last word of chunk `marked`;
  // returns what the read of the first `read` chunks left in word 0.
  uint32_t word0_after_read(uint64_t chunks, uint64_t marked, uint64_t read) const {
    std::vector<uint32_t> host((chunks + 1) * 4, 0);
    host[marked * 4 + 3] = StreamKernels::kNeverXor;
    DeviceBuffer buffer(host.size() * sizeof(uint32_t));
    buffer.upload(host.data(), host.size() * sizeof(uint32_t));
    Stream stream;
    kernels_->read(buffer.ptr(), read, stream.get());
    stream.synchronize();
    uint32_t word0 = 0;
    buffer.download(&word0, sizeof word0);
    return word0;
  }

  // Copies `read_chunks` / `write_chunks` between buffers of `total` chunks (source words are
  // their index + 1, below 2^24, so no xor of them is kNeverXor; destination words 0xabababab)
  // and checks every destination word and that the source is unchanged.
  void expect_copy(uint64_t read_chunks, uint64_t write_chunks, uint64_t total,
                   const StreamKernels::CopyPlan& plan = StreamKernels::CopyPlan{}) const {
    std::vector<uint32_t> src(total * 4), dst(total * 4, 0xababababu);
    for (size_t i = 0; i < src.size(); ++i) src[i] = static_cast<uint32_t>(i + 1);
    DeviceBuffer s(src.size() * 4), d(dst.size() * 4);
    s.upload(src.data(), src.size() * 4);
    d.upload(dst.data(), dst.size() * 4);
    Stream stream;
    kernels_->copy(s.ptr(), d.ptr(), read_chunks, write_chunks, stream.get(), plan);
    stream.synchronize();
    std::vector<uint32_t> out(dst.size()), back(src.size());
    d.download(out.data(), out.size() * 4);
    s.download(back.data(), back.size() * 4);
    EXPECT_EQ(back, src) << "source changed";
    size_t wrong = 0, first = out.size();
    for (size_t i = 0; i < out.size(); ++i) {
      const uint64_t chunk = i / 4;
      const uint32_t expected = chunk >= write_chunks ? 0xababababu : chunk < read_chunks ? src[i] : 0u;
      if (out[i] != expected) {
        ++wrong;
        first = std::min(first, i);
      }
    }
    EXPECT_EQ(wrong, 0u) << plan.name() << ": read "
                         << read_chunks << " write " << write_chunks << " chunks: first wrong word "
                         << first << " = " << (first < out.size() ? out[first] : 0);
  }

  std::optional<StreamKernels> kernels_;
};

// Chunk counts that are not multiples of the grid's threads (132 SMs x 8 blocks x 256 on the
// H100 = 270,336) or of four times them (one iteration), one below, and several steps long.
TEST_F(StreamKernelsGpu, ReadsTheLastChunkOfEveryLength) {
  for (uint64_t chunks : {1ull, 781ull, 65537ull, 270335ull, 1081345ull, 3000017ull}) {
    EXPECT_EQ(word0_after_read(chunks, chunks - 1, chunks), StreamKernels::kNeverXor) << chunks << " chunks";
    EXPECT_EQ(word0_after_read(chunks, 0, chunks), StreamKernels::kNeverXor) << chunks << " chunks, first marked";
  }
}

TEST_F(StreamKernelsGpu, ReadsNothingPastTheChunksItIsGiven) {
  for (uint64_t chunks : {1ull, 781ull, 65537ull, 1081345ull})
    EXPECT_EQ(word0_after_read(chunks, chunks, chunks), 0u) << chunks;
}

TEST_F(StreamKernelsGpu, CopiesWhatItReadsZerosPastItAndNothingPastTheWrite) {
  expect_copy(1, 1, 2);
  expect_copy(781, 781, 800);            // a plain copy
  expect_copy(1081345, 1081345, 1081346);
  expect_copy(65537, 4099, 65540);       // reads more than it writes (a reduction's inputs)
  expect_copy(4099, 65537, 65540);       // writes more than it reads
  expect_copy(0, 300, 301);              // writes only
  expect_copy(300, 0, 301);              // reads only
}

TEST_F(StreamKernelsGpu, EveryPlanCopiesTheSame) {
  using Grid = StreamKernels::Grid;
  using Stores = StreamKernels::Stores;
  for (const Grid grid : {Grid::resident, Grid::tile_per_block, Grid::balanced})
    for (const unsigned threads : {256u, 64u})
      for (const Stores stores : {Stores::plain, Stores::evict_first}) {
        const StreamKernels::CopyPlan plan{grid, threads, stores};
        expect_copy(1, 1, 2, plan);
        expect_copy(4 * threads - 1, 4 * threads - 1, 4 * threads + 1, plan);  // one tile less one chunk
        expect_copy(1081345, 1081345, 1081346, plan);  // several rounds of a resident grid
        expect_copy(65537, 4099, 65540, plan);
        expect_copy(4099, 65537, 65540, plan);
        expect_copy(0, 300, 301, plan);
      }
}

TEST_F(StreamKernelsGpu, HoldWaitsOnTheGpu) {
  Stream stream;
  Event start, stop;
  start.record(stream.get());
  kernels_->hold(2000, stream.get());
  stop.record(stream.get());
  stop.synchronize();
  // The kernel spins until the global timer has advanced 2 ms; events read another clock.
  EXPECT_GE(Event::elapsed_ms(start, stop), 1.0f);
  kernels_->hold(0, stream.get());  // nothing launched
  EXPECT_NO_THROW(stream.synchronize());
}

}  // namespace
}  // namespace kpg
