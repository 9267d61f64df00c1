#include "runtime/logging.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <string>

namespace kpg {

void init_logging(int verbosity) {
  auto level = spdlog::level::info;
  if (const char* env = std::getenv("KPG_LOG"); env && *env) {
    const auto parsed = spdlog::level::from_str(env);  // unknown names map to off
    if (parsed != spdlog::level::off || std::string(env) == "off") {
      level = parsed;
    } else {
      spdlog::warn("KPG_LOG='{}' is not one of trace|debug|info|warn|error|off; using info", env);
    }
  }
  const int shifted = std::clamp(static_cast<int>(level) - verbosity, static_cast<int>(spdlog::level::trace),
                                 static_cast<int>(spdlog::level::off));
  auto logger = spdlog::get("kpg");
  if (!logger) logger = spdlog::stderr_color_mt("kpg");
  logger->set_pattern("%^%l%$: %v");
  spdlog::set_default_logger(logger);
  spdlog::set_level(static_cast<spdlog::level::level_enum>(shifted));
}

}  // namespace kpg
