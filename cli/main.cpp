// kpg: the command line. Every exception ends here as a message and an exit code.

#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <iostream>

#include "cli/command.hpp"
#include "cli/diagnostics.hpp"
#include "runtime/error.hpp"
#include "runtime/logging.hpp"
#include "runtime/version.hpp"

int main(int argc, char** argv) {
  using namespace kpg;
  CLI::App app{"kpg: a GPU kernel playground with an autotuner (NVRTC + CUDA Driver API)", "kpg"};
  CliContext ctx;
  app.set_version_flag("--version", std::string("kpg ") + kpg::version());
  app.add_flag("-v,--verbose", ctx.verbose, "More log output (-vv for trace)");
  app.add_flag("-q,--quiet", ctx.quiet, "Less log output (-qq for errors only)");
  app.add_option("--kernels-dir", ctx.kernels_dir_flag,
                 "Kernel sources folder (default: $KPG_KERNELS_DIR, else an installed kpg's share/kpg/kernels_src, "
                 "else the source tree)");
  app.add_option("--configs-dir", ctx.configs_dir_flag,
                 "Op configs folder (default: $KPG_CONFIGS_DIR, else an installed kpg's share/kpg/configs, "
                 "else the source tree)");
  app.require_subcommand(1);
  app.fallthrough();  // global flags may also follow the command name

  add_doctor_command(app, ctx);
  add_compile_command(app, ctx);
  add_tune_command(app, ctx);
  add_run_command(app, ctx);
  add_cache_command(app, ctx);
  add_tutorial_command(app, ctx);
  add_watch_command(app, ctx);
  // More commands (tune, cache, run, tutorial, watch): one add_*_command(app, ctx) line each, here.

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kExitOk : kExitBadInput;
  }

  try {
    init_logging(ctx.verbose - ctx.quiet);
    return ctx.action ? ctx.action() : kExitOk;
  } catch (const CompileError& e) {
    print_compile_error(std::cerr, e);
    return kExitBadInput;
  } catch (const InputError& e) {
    std::cerr << "kpg: error: " << e.what() << "\n";
    return kExitBadInput;
  } catch (const NoDriverError& e) {
    std::cerr << "kpg: " << e.what() << "\n";
    return kExitRuntimeError;
  } catch (const std::exception& e) {
    std::cerr << "kpg: error: " << e.what() << "\n";
    return kExitRuntimeError;
  } catch (...) {
    std::cerr << "kpg: error: unknown exception\n";
    return kExitRuntimeError;
  }
}
