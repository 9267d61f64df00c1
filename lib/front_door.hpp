#pragma once
// kpg's own commands (`kpg run`, the tutorials' fusion studies) launch through the
// library's front door, as an application does: a Launcher from Operation::prepare, here
// on the device buffers of a Workload (kpg's inputs, checked against its float64
// reference). Built into the same program, they take back the error the library raised
// inside (a CudaError, a CompileError, an InputError) instead of the public one that
// carries only its message, so that faults, compile errors and bad input are reported as
// everywhere else in kpg.

#include <cuda.h>

#include <vector>

#include "kpg/operation.hpp"
#include "lib/api_guard.hpp"
#include "tuner/timer.hpp"
#include "tuner/workload.hpp"

namespace kpg {

// Enqueues `launcher` on the stream it is given with the workload's buffers as its pointers
// (io() order: inputs, then outputs; scratch is the Launcher's own). Both live in the
// device's primary context, so the pointers are valid for the Launcher.
inline LaunchFn workload_launch(Launcher& launcher, const Workload& workload) {
  std::vector<CUdeviceptr> pointers;
  for (const auto& b : launcher.io()) pointers.push_back(workload.buffer(b.name).ptr());
  return [&launcher, pointers](CUstream stream) {
    with_internal_errors([&] { launcher.launch(pointers.data(), pointers.size(), stream); });
  };
}

}  // namespace kpg
