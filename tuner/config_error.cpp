#include "tuner/config_error.hpp"

namespace kpg {

std::string format_loc(const SourceLoc& loc) {
  std::string s = loc.file.empty() ? "<config>" : loc.file;
  if (loc.line > 0) s += ":" + std::to_string(loc.line) + ":" + std::to_string(loc.column);
  if (!loc.key.empty()) s += ": " + loc.key;
  return s;
}

ConfigError::ConfigError(SourceLoc where, const std::string& message)
    : InputError(format_loc(where) + ": " + message), loc(std::move(where)), message_(message) {}

}  // namespace kpg
