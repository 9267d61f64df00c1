#include "runtime/buffer.hpp"

#include <spdlog/spdlog.h>

#include <string>
#include <utility>

#include "runtime/driver.hpp"
#include "runtime/error.hpp"

namespace kpg {
namespace {

// cuMemcpyHtoD from pageable memory and cuMemsetD8 may return before the device memory is
// written, ordered only on the legacy stream, which kpg's non-blocking streams do not wait
// for: waiting here makes the stream-less calls complete before they return.
void wait_for_legacy_stream() { KPG_CU_CHECK(driver().cuStreamSynchronize(CU_STREAM_LEGACY)); }

}  // namespace

DeviceBuffer::DeviceBuffer(size_t bytes) : bytes_(bytes) {
  if (bytes > 0) KPG_CU_CHECK(driver().cuMemAlloc(&ptr_, bytes));
}

DeviceBuffer::~DeviceBuffer() { free(); }

DeviceBuffer::DeviceBuffer(DeviceBuffer&& other) noexcept
    : ptr_(std::exchange(other.ptr_, 0)), bytes_(std::exchange(other.bytes_, 0)) {}

DeviceBuffer& DeviceBuffer::operator=(DeviceBuffer&& other) noexcept {
  if (this != &other) {
    free();
    ptr_ = std::exchange(other.ptr_, 0);
    bytes_ = std::exchange(other.bytes_, 0);
  }
  return *this;
}

void DeviceBuffer::check_range(size_t n, size_t offset, const char* what) const {
  if (offset > bytes_ || n > bytes_ - offset) {
    throw Error(std::string(what) + " of " + std::to_string(n) + " bytes at offset " + std::to_string(offset) +
                " is outside a buffer of " + std::to_string(bytes_) + " bytes");
  }
}

void DeviceBuffer::upload(const void* src, size_t n, size_t offset) {
  check_range(n, offset, "upload");
  if (n == 0) return;
  KPG_CU_CHECK(driver().cuMemcpyHtoD(ptr_ + offset, src, n));
  wait_for_legacy_stream();
}

void DeviceBuffer::download(void* dst, size_t n, size_t offset) const {
  check_range(n, offset, "download");
  if (n > 0) KPG_CU_CHECK(driver().cuMemcpyDtoH(dst, ptr_ + offset, n));
}

void DeviceBuffer::fill_bytes(uint8_t value, CUstream stream) {
  if (bytes_ == 0) return;
  if (stream) {
    KPG_CU_CHECK(driver().cuMemsetD8Async(ptr_, value, bytes_, stream));
  } else {
    KPG_CU_CHECK(driver().cuMemsetD8(ptr_, value, bytes_));
    wait_for_legacy_stream();
  }
}

void DeviceBuffer::free() noexcept {
  if (!ptr_) return;
  const CUresult r = driver().cuMemFree(ptr_);
  if (r != CUDA_SUCCESS) spdlog::warn("cuMemFree of {} bytes failed: {}", bytes_, cuda_error_text(r));
  ptr_ = 0;
  bytes_ = 0;
}

MemoryInfo memory_info() {
  MemoryInfo info;
  KPG_CU_CHECK(driver().cuMemGetInfo(&info.free, &info.total));
  return info;
}

}  // namespace kpg
