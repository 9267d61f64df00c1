#pragma once
// One owner for a handle of a C API (CUevent, CUstream, CUmodule, cublasHandle_t): a move
// hands it on, copies are deleted, and the owner releases it through `Release` when it
// is destroyed or reset. `Release` is noexcept: it logs a failure and never throws, so
// destructors stay noexcept.

#include <utility>

namespace kpg {

template <class Handle, void (*Release)(Handle) noexcept>
class UniqueHandle {
 public:
  UniqueHandle() = default;
  explicit UniqueHandle(Handle handle) noexcept : handle_(handle) {}
  ~UniqueHandle() { reset(); }
  UniqueHandle(UniqueHandle&& other) noexcept : handle_(std::exchange(other.handle_, Handle{})) {}
  UniqueHandle& operator=(UniqueHandle&& other) noexcept {
    if (this != &other) {
      reset();
      handle_ = std::exchange(other.handle_, Handle{});
    }
    return *this;
  }
  UniqueHandle(const UniqueHandle&) = delete;
  UniqueHandle& operator=(const UniqueHandle&) = delete;

  Handle get() const noexcept { return handle_; }
  explicit operator bool() const noexcept { return handle_ != Handle{}; }
  // Releases the handle now (if any); the owner is empty afterwards.
  void reset() noexcept {
    if (handle_ != Handle{}) Release(std::exchange(handle_, Handle{}));
  }

 private:
  Handle handle_{};
};

}  // namespace kpg
