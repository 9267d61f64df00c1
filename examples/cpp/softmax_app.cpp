// A row softmax from kpg in an application: the configuration kpg chose for this card,
// launched on the application's own buffers and stream. Exit 0 when it ran and was right.
#include <cuda_runtime.h>
#include <kpg/kpg.hpp>

#include <cmath>
#include <cstdio>

int main() try {
  kpg::Operation softmax = kpg::Operation::open("softmax");  // reads the YAML: no GPU needed
  const kpg::Problem problem{{{"M", 4096}, {"N", 781}}, "f32"};
  const kpg::ConfigChoice config = softmax.config(problem);  // tuning cache, nearest tuned shape or default
  std::printf("softmax M=4096 N=781 f32: %s (%s)\n", config.id.c_str(), kpg::to_string(config.source));
  const size_t bytes = 4096 * 781 * sizeof(float);
  float *x = nullptr, *y = nullptr, y0 = 0;
  cudaStream_t stream = nullptr;
  if (cudaMalloc(&x, bytes) || cudaMalloc(&y, bytes) || cudaStreamCreate(&stream)) {
    std::fprintf(stderr, "cuda: %s\n", cudaGetErrorString(cudaGetLastError()));
    return 1;
  }
  cudaMemsetAsync(x, 0, bytes, stream);  // uniform rows: every y is 1/781
  softmax.launch(problem, {{"x", CUdeviceptr(x)}, {"y", CUdeviceptr(y)}}, stream);
  cudaMemcpyAsync(&y0, y, sizeof y0, cudaMemcpyDeviceToHost, stream);
  cudaStreamSynchronize(stream);
  std::printf("y[0] = %.6f, expected %.6f\n", y0, 1.0 / 781);
  return std::fabs(y0 * 781 - 1) < 1e-4 ? 0 : 1;
} catch (const kpg::NoDeviceError& e) {
  std::fprintf(stderr, "kpg: no GPU: %s\n", e.what());
  return 1;
} catch (const kpg::LibraryError& e) {
  std::fprintf(stderr, "kpg: %s\n", e.what());
  return 1;
}
