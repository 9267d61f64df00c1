#include "runtime/event.hpp"

#include "runtime/driver.hpp"
#include "runtime/error.hpp"

namespace kpg {

namespace detail {
void destroy_event(CUevent event) noexcept { warn_on_failure("cuEventDestroy", driver().cuEventDestroy(event)); }
}  // namespace detail

Event::Event(unsigned flags) {
  CUevent event = nullptr;
  KPG_CU_CHECK(driver().cuEventCreate(&event, flags));
  event_ = decltype(event_)(event);
}

void Event::record(CUstream stream) const { KPG_CU_CHECK(driver().cuEventRecord(get(), stream)); }

void Event::synchronize() const { KPG_CU_CHECK(driver().cuEventSynchronize(get())); }

bool Event::completed() const {
  const CUresult r = driver().cuEventQuery(get());
  if (r == CUDA_ERROR_NOT_READY) return false;
  if (r != CUDA_SUCCESS) detail::throw_cuda_error(r, "cuEventQuery(event)", __FILE__, __LINE__);
  return true;
}

float Event::elapsed_ms(const Event& start, const Event& end) {
  float ms = 0.0f;
  KPG_CU_CHECK(driver().cuEventElapsedTime(&ms, start.get(), end.get()));
  return ms;
}

}  // namespace kpg
