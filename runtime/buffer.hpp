#pragma once
// Device memory with one owner. Move-only; zero bytes allowed (no allocation, null ptr).
// Needs a current context.

#include <cuda.h>

#include <cstddef>
#include <cstdint>

namespace kpg {

class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(size_t bytes);
  ~DeviceBuffer();
  DeviceBuffer(DeviceBuffer&& other) noexcept;
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept;
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  CUdeviceptr ptr() const { return ptr_; }
  size_t bytes() const { return bytes_; }

  // Copies of n bytes at `offset`, complete when they return (a download sees what the
  // legacy stream wrote: synchronize the stream a kernel ran on first); throw Error if the
  // range is outside the buffer.
  void upload(const void* src, size_t n, size_t offset = 0);
  void download(void* dst, size_t n, size_t offset = 0) const;
  // Sets every byte; on `stream` when given (asynchronous), else synchronously.
  void fill_bytes(uint8_t value, CUstream stream = nullptr);

 private:
  void check_range(size_t n, size_t offset, const char* what) const;
  void free() noexcept;

  CUdeviceptr ptr_ = 0;
  size_t bytes_ = 0;
};

struct MemoryInfo {
  size_t free = 0;
  size_t total = 0;
};

// Free and total memory of the current context's device.
MemoryInfo memory_info();

}  // namespace kpg
