#include "runtime/event.hpp"

#include <spdlog/spdlog.h>

#include <utility>

#include "runtime/driver.hpp"
#include "runtime/error.hpp"

namespace kpg {

Event::Event(unsigned flags) { KPG_CU_CHECK(driver().cuEventCreate(&event_, flags)); }

Event::~Event() { destroy(); }

Event::Event(Event&& other) noexcept : event_(std::exchange(other.event_, nullptr)) {}

Event& Event::operator=(Event&& other) noexcept {
  if (this != &other) {
    destroy();
    event_ = std::exchange(other.event_, nullptr);
  }
  return *this;
}

void Event::record(CUstream stream) const { KPG_CU_CHECK(driver().cuEventRecord(event_, stream)); }

void Event::synchronize() const { KPG_CU_CHECK(driver().cuEventSynchronize(event_)); }

bool Event::completed() const {
  const CUresult r = driver().cuEventQuery(event_);
  if (r == CUDA_ERROR_NOT_READY) return false;
  if (r != CUDA_SUCCESS) detail::throw_cuda_error(r, "cuEventQuery(event)", __FILE__, __LINE__);
  return true;
}

float Event::elapsed_ms(const Event& start, const Event& end) {
  float ms = 0.0f;
  KPG_CU_CHECK(driver().cuEventElapsedTime(&ms, start.event_, end.event_));
  return ms;
}

void Event::destroy() noexcept {
  if (!event_) return;
  const CUresult r = driver().cuEventDestroy(event_);
  if (r != CUDA_SUCCESS) spdlog::warn("cuEventDestroy failed: {}", cuda_error_text(r));
  event_ = nullptr;
}

}  // namespace kpg
