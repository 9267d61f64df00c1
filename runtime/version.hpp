#pragma once

namespace kpg {

// The project version from CMake, e.g. "0.1.0".
const char* version();

}  // namespace kpg
