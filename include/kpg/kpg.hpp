#pragma once
// kpg's library: tuned kernels from your own program. docs/USING_KPG.md.
//   find_package(kpg REQUIRED)
//   target_link_libraries(app PRIVATE kpg::kpg)

#include "kpg/device.hpp"
#include "kpg/errors.hpp"
#include "kpg/operation.hpp"
#include "kpg/timing.hpp"
