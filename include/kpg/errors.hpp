#pragma once
// What the library throws: every error is a kpg::LibraryError carrying kpg's own one-line
// message (file, line and key for a bad YAML; the driver's error name for a CUDA failure).

#include <stdexcept>
#include <string>

#include "kpg/export.hpp"

namespace kpg {

// Any failure of a library call: a CUDA or NVRTC error, a kernel that does not compile.
class KPG_API LibraryError : public std::runtime_error {
 public:
  explicit LibraryError(const std::string& message);
  ~LibraryError() override;
};

// Bad input from the caller: an unknown op or variant, a malformed YAML, a problem whose
// dims or dtype the op does not take, a missing or misaligned buffer, an unknown scalar,
// a device ordinal that does not exist.
class KPG_API InvalidInput : public LibraryError {
 public:
  explicit InvalidInput(const std::string& message);
  ~InvalidInput() override;
};

// No NVIDIA driver or no GPU (an ordinal that does not exist is InvalidInput). Opening an op and
// reading its buffers, bytes and flops work without one; choosing a config, launching,
// tuning and timing throw this.
class KPG_API NoDeviceError : public LibraryError {
 public:
  explicit NoDeviceError(const std::string& message);
  ~NoDeviceError() override;
};

}  // namespace kpg
