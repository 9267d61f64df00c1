#pragma once
// A CUDA event for GPU-side timing and ordering. Move-only; needs a current context.

#include <cuda.h>

namespace kpg {

class Event {
 public:
  explicit Event(unsigned flags = CU_EVENT_DEFAULT);
  ~Event();
  Event(Event&& other) noexcept;
  Event& operator=(Event&& other) noexcept;
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;

  void record(CUstream stream) const;
  void synchronize() const;
  // True when the work recorded before the event has completed (cuEventQuery), without waiting.
  bool completed() const;
  CUevent get() const { return event_; }

  // Milliseconds between two recorded events (both must have completed: synchronize `end`).
  static float elapsed_ms(const Event& start, const Event& end);

 private:
  void destroy() noexcept;
  CUevent event_ = nullptr;
};

}  // namespace kpg
