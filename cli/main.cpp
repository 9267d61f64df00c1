// kpg: the command line. Every exception ends here as a message and an exit code.

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <iostream>
#include <optional>
#include <utility>

#include "cli/core/command.hpp"
#include "cli/core/diagnostics.hpp"
#include "runtime/error.hpp"
#include "runtime/logging.hpp"
#include "runtime/version.hpp"
#include "tuner/worker_supervisor.hpp"

namespace {

// The command word that names no command ("kpg frobnicate", "kpg cache frob"), if any, with
// the command it was given to: CLI11 alone says only that a subcommand is required.
std::optional<std::pair<const CLI::App*, std::string>> unknown_command(const CLI::App& app, int argc, char** argv) {
  const CLI::App* current = &app;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--kernels-dir" || arg == "--configs-dir") {
      ++i;  // its value
      continue;
    }
    if (arg.starts_with("-")) continue;
    const auto commands = current->get_subcommands([](const CLI::App*) { return true; });
    if (commands.empty()) return std::nullopt;  // a command's own argument
    const auto named = std::find_if(commands.begin(), commands.end(), [&](const CLI::App* c) { return c->get_name() == arg; });
    if (named == commands.end()) return std::make_pair(current, arg);
    current = *named;
  }
  return std::nullopt;
}

// A repeatable option takes one value per occurrence: `kpg run --shape M=4,N=4 softmax`
// keeps `softmax` as the op instead of reading it as a second shape.
void one_value_per_option(CLI::App* app) {
  for (CLI::Option* option : app->get_options())
    if (option->nonpositional()) option->allow_extra_args(false);
  for (CLI::App* command : app->get_subcommands([](CLI::App*) { return true; })) one_value_per_option(command);
}

int report_unknown_command(const CLI::App* parent, const std::string& word) {
  std::string names;
  for (const auto* c : parent->get_subcommands([](const CLI::App*) { return true; }))
    names += (names.empty() ? "" : ", ") + c->get_name();
  const std::string of = parent->get_parent() ? " of kpg " + parent->get_name() : "";
  std::cerr << "kpg: error: unknown command '" << word << "'" << of << " (commands: " << names << ")\n";
  return kpg::kExitBadInput;
}

}  // namespace

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
  one_value_per_option(&app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() != 0)
      if (const auto unknown = unknown_command(app, argc, argv)) return report_unknown_command(unknown->first, unknown->second);
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
  } catch (const WorkerFailed& e) {  // a worker process's failure: its exit code carries over
    std::cerr << "kpg: error: " << e.what() << "\n";
    return e.exit_code() == kExitBadInput ? kExitBadInput : kExitRuntimeError;
  } catch (const NoDriverError& e) {
    std::cerr << "kpg: " << e.what() << "\n";
    return kExitRuntimeError;
  } catch (const std::filesystem::filesystem_error& e) {  // a file or folder kpg was pointed at
    std::cerr << "kpg: error: " << readable_error(e) << "\n";
    return kExitBadInput;
  } catch (const std::ios_base::failure& e) {
    std::cerr << "kpg: error: " << readable_error(e) << "\n";
    return kExitBadInput;
  } catch (const std::bad_alloc&) {
    std::cerr << "kpg: error: out of memory\n";
    return kExitRuntimeError;
  } catch (const std::exception& e) {
    std::cerr << "kpg: error: " << readable_error(e) << "\n";
    return kExitRuntimeError;
  } catch (...) {
    std::cerr << "kpg: error: unknown exception\n";
    return kExitRuntimeError;
  }
}
