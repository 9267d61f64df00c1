#include "runtime/context.hpp"

#include <spdlog/spdlog.h>

#include <utility>

#include "runtime/driver.hpp"
#include "runtime/error.hpp"

namespace kpg {

Context::Context(const Device& device) : device_(&device) {
  KPG_CU_CHECK(driver().cuDevicePrimaryCtxRetain(&context_, device.handle()));
  try {
    make_current();
  } catch (...) {
    release();
    throw;
  }
}

Context::~Context() { release(); }

Context::Context(Context&& other) noexcept
    : device_(other.device_), context_(std::exchange(other.context_, nullptr)) {}

Context& Context::operator=(Context&& other) noexcept {
  if (this != &other) {
    release();
    device_ = other.device_;
    context_ = std::exchange(other.context_, nullptr);
  }
  return *this;
}

void Context::make_current() const { KPG_CU_CHECK(driver().cuCtxSetCurrent(context_)); }

void Context::synchronize() const {
  make_current();
  KPG_CU_CHECK(driver().cuCtxSynchronize());
}

void Context::release() noexcept {
  if (!context_) return;
  const CUresult r = driver().cuDevicePrimaryCtxRelease(device_->handle());
  if (r != CUDA_SUCCESS) spdlog::warn("cuDevicePrimaryCtxRelease failed: {}", cuda_error_text(r));
  context_ = nullptr;
}

}  // namespace kpg
