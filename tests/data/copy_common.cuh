#pragma once
#include "copy_math.cuh"
__device__ __forceinline__ int element_index() { return blockIdx.x * blockDim.x + threadIdx.x; }
