#pragma once
// One Gpu per device ordinal for the whole process, opened on first use and kept (its
// primary context retained) until the process ends: every Operation, timing call and
// device_info() of the library shares it.

#include <cuda.h>

#include "tuner/gpu.hpp"

namespace kpg {

// Throws NoDriverError without a driver, InputError for an ordinal the driver does not see.
const Gpu& shared_gpu(int ordinal);

// Makes the device's primary context current on the calling thread when another (or none)
// is: one cuCtxGetCurrent when it already is. Launches then work from any thread.
void make_current(const Gpu& gpu);

}  // namespace kpg
