#pragma once
// The device's primary context (the one the CUDA runtime shares), retained and made
// current on this thread. Move-only; the destructor releases it and never throws.

#include <cuda.h>

#include "runtime/device.hpp"

namespace kpg {

class Context {
 public:
  explicit Context(const Device& device);
  ~Context();
  Context(Context&& other) noexcept;
  Context& operator=(Context&& other) noexcept;
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  // Makes the context current on the calling thread (worker threads must call it).
  void make_current() const;
  void synchronize() const;
  const Device& device() const { return *device_; }
  CUcontext get() const { return context_; }

 private:
  void release() noexcept;

  const Device* device_;  // must outlive the context
  CUcontext context_ = nullptr;
};

}  // namespace kpg
