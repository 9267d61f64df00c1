#pragma once
// A non-blocking CUDA stream (does not synchronise with the legacy default stream).
// Move-only; needs a current context.

#include <cuda.h>

namespace kpg {

class Stream {
 public:
  Stream();
  ~Stream();
  Stream(Stream&& other) noexcept;
  Stream& operator=(Stream&& other) noexcept;
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  CUstream get() const { return stream_; }
  void synchronize() const;

 private:
  void destroy() noexcept;
  CUstream stream_ = nullptr;
};

}  // namespace kpg
