#include "kpg/errors.hpp"

namespace kpg {

LibraryError::LibraryError(const std::string& message) : std::runtime_error(message) {}
LibraryError::~LibraryError() = default;

InvalidInput::InvalidInput(const std::string& message) : LibraryError(message) {}
InvalidInput::~InvalidInput() = default;

NoDeviceError::NoDeviceError(const std::string& message) : LibraryError(message) {}
NoDeviceError::~NoDeviceError() = default;

}  // namespace kpg
