#pragma once
// A CUDA event for GPU-side timing and ordering. Move-only; needs a current context.

#include <cuda.h>

#include "runtime/unique_handle.hpp"

namespace kpg {

namespace detail {
void destroy_event(CUevent event) noexcept;  // cuEventDestroy, a failure logged
}  // namespace detail

class Event {
 public:
  explicit Event(unsigned flags = CU_EVENT_DEFAULT);

  void record(CUstream stream) const;
  void synchronize() const;
  // True when the work recorded before the event has completed (cuEventQuery), without waiting.
  bool completed() const;
  CUevent get() const { return event_.get(); }

  // Milliseconds between two recorded events (both must have completed: synchronize `end`).
  static float elapsed_ms(const Event& start, const Event& end);

 private:
  UniqueHandle<CUevent, &detail::destroy_event> event_;
};

}  // namespace kpg
