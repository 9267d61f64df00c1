#include "runtime/version.hpp"

#ifndef KPG_VERSION
#define KPG_VERSION "unknown"
#endif

namespace kpg {

const char* version() { return KPG_VERSION; }

}  // namespace kpg
