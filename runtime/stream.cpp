#include "runtime/stream.hpp"

#include <spdlog/spdlog.h>

#include <utility>

#include "runtime/driver.hpp"
#include "runtime/error.hpp"

namespace kpg {

Stream::Stream() { KPG_CU_CHECK(driver().cuStreamCreate(&stream_, CU_STREAM_NON_BLOCKING)); }

Stream::~Stream() { destroy(); }

Stream::Stream(Stream&& other) noexcept : stream_(std::exchange(other.stream_, nullptr)) {}

Stream& Stream::operator=(Stream&& other) noexcept {
  if (this != &other) {
    destroy();
    stream_ = std::exchange(other.stream_, nullptr);
  }
  return *this;
}

void Stream::synchronize() const { KPG_CU_CHECK(driver().cuStreamSynchronize(stream_)); }

void Stream::destroy() noexcept {
  if (!stream_) return;
  const CUresult r = driver().cuStreamDestroy(stream_);
  if (r != CUDA_SUCCESS) spdlog::warn("cuStreamDestroy failed: {}", cuda_error_text(r));
  stream_ = nullptr;
}

}  // namespace kpg
