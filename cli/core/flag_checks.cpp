#include "cli/core/flag_checks.hpp"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string>

namespace kpg {

CLI::Validator whole_number(unsigned long long max) {
  const std::string range = "expected a whole number from 0 to " + std::to_string(max);
  return CLI::Validator(
      [max, range](std::string& text) -> std::string {
        unsigned long long v = 0;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
        if (text.empty() || ec != std::errc() || end != text.data() + text.size() || v > max)
          return range + ", got '" + text + "'";
        return {};
      },
      "N");
}

CLI::Validator watchdog_seconds() {
  constexpr double kMax = 86400;
  return CLI::Validator(
      [](std::string& text) -> std::string {
        const std::string range = "expected seconds above 0 and at most 86400 (a day)";
        char* end = nullptr;
        errno = 0;
        const double v = std::strtod(text.c_str(), &end);
        if (text.empty() || end != text.c_str() + text.size() || errno == ERANGE || !std::isfinite(v) || v <= 0 ||
            v > kMax)
          return range + ", got '" + text + "'";
        return {};
      },
      "SECONDS in (0, 86400]");
}

}  // namespace kpg
