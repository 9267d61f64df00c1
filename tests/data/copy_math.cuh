#pragma once
__device__ __forceinline__ float same(float v) { return v; }
