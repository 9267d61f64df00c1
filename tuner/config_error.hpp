#pragma once
// Bad input in an op config or a --shape flag. what() is "file:line:column: key: message"
// (or "file: key: message" when there is no position); the CLI exits with code 2.

#include <string>

#include "runtime/error.hpp"
#include "tuner/source_loc.hpp"

namespace kpg {

class ConfigError : public InputError {
 public:
  ConfigError(SourceLoc where, const std::string& message);

  SourceLoc loc;
  // The message without the location prefix.
  const std::string& message() const { return message_; }

 private:
  std::string message_;
};

// "file:line:column: key" (the prefix of ConfigError::what()).
std::string format_loc(const SourceLoc& loc);

}  // namespace kpg
