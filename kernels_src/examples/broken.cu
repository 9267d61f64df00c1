// Deliberately does not compile: tests check that the error names this file and line 6.
#include "example_common.cuh"

extern "C" __global__ void broken(float* out) {
  const long long i = global_index();
  out[i] = undefined_value;
}
