// A copy kernel that does not compile for BAD=1 or BAD=4: a grid with compile failures at
// known places, for `kpg compile --all` over shards (tests/cli/mpi_ranks_test.cpp,
// tests/tuner/compile_all_test.cpp).
#if BAD == 1 || BAD == 4
#error BAD does not compile
#endif
extern "C" __global__ void copy(const float* x, float* y, int n) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = x[i];
}
