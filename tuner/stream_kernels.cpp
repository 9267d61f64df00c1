#include "tuner/stream_kernels.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "runtime/error.hpp"

namespace kpg {
namespace {

// kpg_stream: blocks stride over tiles of 4 x ntid contiguous chunks (16 KB at 256 threads,
// as a row-wise kernel's block reads a row); thread t of a block takes chunks t, t+ntid,
// t+2 ntid, t+3 ntid of its tile, all four loads issued before any store. Contiguous tiles
// keep each block on a few DRAM pages at a time; a grid-stride over single chunks spreads a
// warp's four loads over four far-apart pages and copies measurably slower than the driver's
// copy. Loads past read_chunks and stores past write_chunks are predicated off; registers
// start at zero, so what is written past the chunks read is zero and contributes nothing to
// the xor. The xor of the words read and not written is stored at src word 0 only if it
// equals 0x9e3779b9 (kNeverXor).
// .maxnreg 32 keeps 2048 threads on an SM (65,536 registers).
// kpg_stream_cs (module_ptx below) is kpg_stream with evict-first stores (st.global.cs), which
// mark the written lines as the first to leave L2.
// kpg_hold: %globaltimer is in nanoseconds; nanosleep keeps the spinning thread quiet.
constexpr const char* kPtx = R"(
.version 7.0
.target sm_70
.address_size 64

.visible .entry kpg_stream(.param .u64 param_src, .param .u64 param_dst,
                           .param .u64 param_read_chunks, .param .u64 param_write_chunks)
.maxnreg 32
{
  .reg .pred %p<12>;
  .reg .b32 %r<24>;
  .reg .b64 %rd<24>;

  ld.param.u64 %rd1, [param_src];
  ld.param.u64 %rd2, [param_dst];
  ld.param.u64 %rd3, [param_read_chunks];
  ld.param.u64 %rd4, [param_write_chunks];
  cvta.to.global.u64 %rd1, %rd1;
  cvta.to.global.u64 %rd2, %rd2;
  max.u64 %rd5, %rd3, %rd4;          // chunks visited
  mov.u32 %r1, %ctaid.x;
  mov.u32 %r2, %ntid.x;
  mov.u32 %r3, %tid.x;
  mov.u32 %r4, %nctaid.x;
  mul.wide.u32 %rd6, %r1, %r2;
  shl.b64 %rd6, %rd6, 2;             // the block's first tile: 4 ntid chunks a tile
  cvt.u64.u32 %rd7, %r3;
  add.u64 %rd6, %rd6, %rd7;          // i: this thread's first chunk
  cvt.u64.u32 %rd7, %r2;             // s: ntid, the distance between a thread's four chunks
  shl.b64 %rd8, %rd7, 4;             // s chunks in bytes
  mul.wide.u32 %rd9, %r4, %r2;
  shl.b64 %rd9, %rd9, 2;             // the loop's step: the grid's tiles, 4 ntid chunks each
  mov.u32 %r5, 0;                    // xor of the words read and not written
  setp.ge.u64 %p1, %rd6, %rd5;
  @%p1 bra DONE;
LOOP:
  add.u64 %rd10, %rd6, %rd7;         // i + s
  add.u64 %rd11, %rd10, %rd7;        // i + 2s
  add.u64 %rd12, %rd11, %rd7;        // i + 3s
  shl.b64 %rd13, %rd6, 4;            // byte offset of chunk i
  add.u64 %rd14, %rd1, %rd13;
  add.u64 %rd15, %rd14, %rd8;
  add.u64 %rd16, %rd15, %rd8;
  add.u64 %rd17, %rd16, %rd8;
  add.u64 %rd18, %rd2, %rd13;
  add.u64 %rd19, %rd18, %rd8;
  add.u64 %rd20, %rd19, %rd8;
  add.u64 %rd21, %rd20, %rd8;
  setp.lt.u64 %p2, %rd6, %rd3;
  setp.lt.u64 %p3, %rd10, %rd3;
  setp.lt.u64 %p4, %rd11, %rd3;
  setp.lt.u64 %p5, %rd12, %rd3;
  setp.lt.u64 %p6, %rd6, %rd4;
  setp.lt.u64 %p7, %rd10, %rd4;
  setp.lt.u64 %p8, %rd11, %rd4;
  setp.lt.u64 %p9, %rd12, %rd4;
  mov.u32 %r6, 0;
  mov.u32 %r7, 0;
  mov.u32 %r8, 0;
  mov.u32 %r9, 0;
  mov.u32 %r10, 0;
  mov.u32 %r11, 0;
  mov.u32 %r12, 0;
  mov.u32 %r13, 0;
  mov.u32 %r14, 0;
  mov.u32 %r15, 0;
  mov.u32 %r16, 0;
  mov.u32 %r17, 0;
  mov.u32 %r18, 0;
  mov.u32 %r19, 0;
  mov.u32 %r20, 0;
  mov.u32 %r21, 0;
  @%p2 ld.global.v4.u32 {%r6, %r7, %r8, %r9}, [%rd14];
  @%p3 ld.global.v4.u32 {%r10, %r11, %r12, %r13}, [%rd15];
  @%p4 ld.global.v4.u32 {%r14, %r15, %r16, %r17}, [%rd16];
  @%p5 ld.global.v4.u32 {%r18, %r19, %r20, %r21}, [%rd17];
  @%p6 st.global.v4.u32 [%rd18], {%r6, %r7, %r8, %r9};
  @%p7 st.global.v4.u32 [%rd19], {%r10, %r11, %r12, %r13};
  @%p8 st.global.v4.u32 [%rd20], {%r14, %r15, %r16, %r17};
  @%p9 st.global.v4.u32 [%rd21], {%r18, %r19, %r20, %r21};
  @!%p6 xor.b32 %r5, %r5, %r6;
  @!%p6 xor.b32 %r5, %r5, %r7;
  @!%p6 xor.b32 %r5, %r5, %r8;
  @!%p6 xor.b32 %r5, %r5, %r9;
  @!%p7 xor.b32 %r5, %r5, %r10;
  @!%p7 xor.b32 %r5, %r5, %r11;
  @!%p7 xor.b32 %r5, %r5, %r12;
  @!%p7 xor.b32 %r5, %r5, %r13;
  @!%p8 xor.b32 %r5, %r5, %r14;
  @!%p8 xor.b32 %r5, %r5, %r15;
  @!%p8 xor.b32 %r5, %r5, %r16;
  @!%p8 xor.b32 %r5, %r5, %r17;
  @!%p9 xor.b32 %r5, %r5, %r18;
  @!%p9 xor.b32 %r5, %r5, %r19;
  @!%p9 xor.b32 %r5, %r5, %r20;
  @!%p9 xor.b32 %r5, %r5, %r21;
  add.u64 %rd6, %rd6, %rd9;
  setp.lt.u64 %p1, %rd6, %rd5;
  @%p1 bra LOOP;
DONE:
  setp.ne.u32 %p1, %r5, 0x9e3779b9;
  @%p1 bra EXIT;
  st.global.u32 [%rd1], %r5;
EXIT:
  ret;
}

.visible .entry kpg_hold(.param .u64 param_ns)
{
  .reg .pred %p<2>;
  .reg .b64 %rd<5>;

  ld.param.u64 %rd1, [param_ns];
  mov.u64 %rd2, %globaltimer;
  add.u64 %rd3, %rd2, %rd1;
WAIT:
  nanosleep.u32 1000;
  mov.u64 %rd4, %globaltimer;
  setp.lt.u64 %p1, %rd4, %rd3;
  @%p1 bra WAIT;
  ret;
}
)";

// kPtx, plus kpg_stream_cs: kpg_stream's entry renamed, its 16-byte stores made evict-first.
const std::string& module_ptx() {
  static const std::string text = [] {
    std::string ptx = kPtx;
    const std::string entry = ".visible .entry kpg_stream(", store = "st.global.v4";
    const auto begin = ptx.find(entry), end = ptx.find(".visible .entry kpg_hold(");
    std::string cs = ptx.substr(begin, end - begin);
    cs.replace(0, entry.size(), ".visible .entry kpg_stream_cs(");
    for (size_t at = cs.find(store); at != std::string::npos; at = cs.find(store, at))
      cs.replace(at, store.size(), "st.global.cs.v4");
    return ptx + "\n" + cs;
  }();
  return text;
}

std::vector<char> ptx_image() {
  const std::string& ptx = module_ptx();
  std::vector<char> image(ptx.begin(), ptx.end());
  image.push_back('\0');
  return image;
}

}  // namespace

StreamKernels::StreamKernels(const DeviceProperties& props)
    : module_(Module::load(ptx_image())),
      stream_(module_.function("kpg_stream")),
      stream_cs_(module_.function("kpg_stream_cs")),
      hold_(module_.function("kpg_hold")),
      props_(props) {}

std::string StreamKernels::CopyPlan::name() const {
  std::string name = "kpg_stream";
  if (grid == Grid::tile_per_block) name += ", a block a tile";
  if (grid == Grid::balanced) name += ", balanced rounds";
  if (threads != CopyPlan{}.threads) name += ", " + std::to_string(threads) + " threads";
  if (stores == Stores::evict_first) name += ", evict-first stores";
  return name;
}

void StreamKernels::read(CUdeviceptr ptr, uint64_t chunks, CUstream stream) const {
  copy(ptr, 0, chunks, 0, stream, CopyPlan{});
}

unsigned StreamKernels::blocks(const CopyPlan& plan, uint64_t chunks, const DeviceProperties& props) {
  if (plan.threads < 32 || plan.threads > 1024 || plan.threads % 32 != 0)
    throw Error("kpg_stream: " + std::to_string(plan.threads) + " threads a block: expected whole warps, 32 to 1024");
  constexpr uint64_t kMaxBlocks = (uint64_t{1} << 31) - 1;  // gridDim.x; the kernel strides past it
  const uint64_t tile_chunks = 4 * uint64_t{plan.threads};
  const uint64_t tiles = std::max<uint64_t>((chunks + tile_chunks - 1) / tile_chunks, 1);
  // As many blocks as fit every SM at once (2048 threads an SM: 8 of 256, 32 of 64).
  const auto at_least_1 = [](int v) { return static_cast<uint64_t>(std::max(v, 1)); };
  const uint64_t resident =
      at_least_1(props.sm_count) * std::max<uint64_t>(std::min(at_least_1(props.max_threads_per_sm) / plan.threads,
                                                                at_least_1(props.max_blocks_per_sm)),
                                                       1);
  const uint64_t rounds = (tiles + resident - 1) / resident;
  switch (plan.grid) {
    case Grid::resident: return static_cast<unsigned>(resident);
    case Grid::tile_per_block: return static_cast<unsigned>(std::min(tiles, kMaxBlocks));
    case Grid::balanced: return static_cast<unsigned>((tiles + rounds - 1) / rounds);
  }
  return static_cast<unsigned>(resident);
}

void StreamKernels::copy(CUdeviceptr src, CUdeviceptr dst, uint64_t read_chunks, uint64_t write_chunks,
                         CUstream stream, const CopyPlan& plan) const {
  LaunchConfig config;
  config.grid = {blocks(plan, std::max(read_chunks, write_chunks)), 1, 1};
  config.block = {plan.threads, 1, 1};
  config.stream = stream;
  (plan.stores == Stores::evict_first ? stream_cs_ : stream_).launch(config, src, dst, read_chunks, write_chunks);
}

void StreamKernels::hold(double us, CUstream stream) const {
  if (!(us > 0)) return;
  const auto ns = static_cast<uint64_t>(std::llround(us * 1e3));
  LaunchConfig config;
  config.stream = stream;
  hold_.launch(config, ns);
}

const char* StreamKernels::ptx() { return module_ptx().c_str(); }

}  // namespace kpg
