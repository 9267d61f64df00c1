// Worked example of docs/LEARNING_GUIDE.md (coalescing, bank conflicts and swizzles):
// y = x transposed, x [M, N] and y [N, M], both row-major.
//
//   transpose_simple     one element a thread straight through global memory: the reads
//                        are coalesced, the writes are not (the reference of transpose.yaml)
//   transpose_naive      a 32 x 32 tile through shared memory, read back by columns: every
//                        global access is coalesced, but a warp's shared reads all hit one
//                        bank (32-way bank conflict)
//   transpose_padded     the same tile with one extra column: a column's 32 elements fall
//                        into 32 different banks
//   transpose_swizzled   no padding; element (i, j) of the tile lives in column j ^ i, which
//                        spreads a column over the 32 banks as well
//
// BLOCK_ROWS (the block is 32 x BLOCK_ROWS threads, each moving 32 / BLOCK_ROWS elements of
// the tile) arrives as a -D define from transpose.yaml.
#include "kpg_common.cuh"

extern "C" __global__ void transpose_simple(const kpg_t* x, kpg_t* y, int M, int N) {
  const int col = blockIdx.x * blockDim.x + threadIdx.x;  // neighbouring threads: neighbouring columns
  const int row = blockIdx.y * blockDim.y + threadIdx.y;
  if (row < M && col < N) y[static_cast<long long>(col) * M + row] = x[static_cast<long long>(row) * N + col];
}

#if defined(BLOCK_ROWS)
constexpr int kTile = 32;
static_assert(kTile % BLOCK_ROWS == 0, "BLOCK_ROWS must divide the 32-row tile");

// Where element (i, j) of the tile is stored: column j, or j ^ i when swizzled.
template <bool Swizzle>
__device__ __forceinline__ int tile_column(int i, int j) {
  return Swizzle ? (j ^ i) : j;
}

// Pad: extra floats at the end of each tile row (0 or 1).
template <int Pad, bool Swizzle>
__device__ __forceinline__ void transpose_tile(const kpg_t* x, kpg_t* y, int M, int N) {
  __shared__ kpg_t tile[kTile][kTile + Pad];
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int row0 = blockIdx.y * kTile, col0 = blockIdx.x * kTile;
  // Load: a warp reads 32 neighbouring elements of one row of x (coalesced) and writes one
  // row of the tile (32 banks, no conflict).
  for (int i = ty; i < kTile; i += BLOCK_ROWS) {
    const int row = row0 + i, col = col0 + tx;
    if (row < M && col < N) tile[i][tile_column<Swizzle>(i, tx)] = x[static_cast<long long>(row) * N + col];
  }
  __syncthreads();
  // Store: a warp writes 32 neighbouring elements of one row of y (coalesced), which are one
  // column of the tile: element (tx, i). Without padding or swizzle those 32 reads share a bank.
  for (int i = ty; i < kTile; i += BLOCK_ROWS) {
    const int row = col0 + i, col = row0 + tx;  // y's row is x's column
    if (row < N && col < M) y[static_cast<long long>(row) * M + col] = tile[tx][tile_column<Swizzle>(tx, i)];
  }
}

extern "C" __global__ void __launch_bounds__(32 * BLOCK_ROWS) transpose_naive(const kpg_t* x, kpg_t* y, int M, int N) {
  transpose_tile<0, false>(x, y, M, N);
}

extern "C" __global__ void __launch_bounds__(32 * BLOCK_ROWS) transpose_padded(const kpg_t* x, kpg_t* y, int M, int N) {
  transpose_tile<1, false>(x, y, M, N);
}

extern "C" __global__ void __launch_bounds__(32 * BLOCK_ROWS) transpose_swizzled(const kpg_t* x, kpg_t* y, int M, int N) {
  transpose_tile<0, true>(x, y, M, N);
}
#endif
