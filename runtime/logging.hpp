#pragma once
// kpg logs through spdlog's default logger, to stderr so stdout stays clean for results.

namespace kpg {

// Installs the stderr logger. Level: $KPG_LOG (trace|debug|info|warn|error|off, default
// info), then shifted by the CLI: each -v one level more verbose, each -q one level quieter.
void init_logging(int verbosity = 0);

}  // namespace kpg
