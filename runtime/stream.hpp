#pragma once
// A non-blocking CUDA stream (does not synchronise with the legacy default stream).
// Move-only; needs a current context.

#include <cuda.h>

#include "runtime/unique_handle.hpp"

namespace kpg {

namespace detail {
void destroy_stream(CUstream stream) noexcept;  // cuStreamDestroy, a failure logged
}  // namespace detail

class Stream {
 public:
  Stream();

  CUstream get() const { return stream_.get(); }
  void synchronize() const;

 private:
  UniqueHandle<CUstream, &detail::destroy_stream> stream_;
};

}  // namespace kpg
