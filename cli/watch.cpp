// kpg watch: the edit-and-see loop. Watches an op's YAML, kernel source and the headers
// it includes; on every save recompiles what changed and re-checks and re-times each
// variant's current best configuration, printing the new time beside the last one.
// Without a GPU every round compiles instead. The work lives in cli/watch/.

#include <iostream>
#include <memory>

#include "cli/core/command.hpp"
#include "cli/core/flag_checks.hpp"
#include "cli/watch/gpu_bench.hpp"
#include "cli/watch/self_exec.hpp"
#include "cli/watch/watch_loop.hpp"
#include "cli/watch/watch_rounds.hpp"
#include "runtime/compiler.hpp"
#include "runtime/cubin_cache.hpp"
#include "tuner/config.hpp"
#include "tuner/tuning_cache.hpp"

namespace kpg {
namespace {

struct WatchArgs {
  std::string op;
  WatchTarget target;
  bool retune = false, once = false;
  bool resume = false;  // hidden: this process replaces one that a GPU fault ended
  uint64_t seed = 0;
  unsigned jobs = 0;
  int debounce_ms = 100;
};

int run_watch(const CliContext& ctx, const WatchArgs& args) {
  WatchSettings settings;
  settings.config_file = resolve_op_config(args.op, ctx.configs_dir());  // bad op: exit 2 before anything opens
  settings.kernels_dir = ctx.kernels_dir();
  settings.target = args.target;
  settings.retune = args.retune;
  settings.seed = args.seed;
  settings.jobs = args.jobs;

  CubinCache cubin_cache(ctx.cache_dir());
  const Compiler compiler(&cubin_cache);
  TuningCache tuning_cache(ctx.cache_dir());
  std::string why;
  const auto gpu = open_gpu_bench(compiler, tuning_cache, settings.kernels_dir, &why);
  if (!gpu) {
    std::cout << "kpg watch: no GPU found (" << why << "): compile-only rounds for " << settings.arch
              << "; nothing is run or timed\n";
  }
  WatchRounds rounds(settings, compiler, gpu.get(), std::cout);
  LoopOptions loop;
  loop.once = args.once;
  loop.debounce = std::chrono::milliseconds(args.debounce_ms);
  loop.resume = args.resume;
  loop.restart = [] { exec_self("--resume"); };
  return run_watch_loop(rounds, loop, std::cout);
}

}  // namespace

void add_watch_command(CLI::App& app, CliContext& ctx) {
  auto args = std::make_shared<WatchArgs>();
  auto* cmd = app.add_subcommand(
      "watch", "Edit and see: on every save of the op's kernel, headers or YAML, recompile, re-check and re-time");
  cmd->add_option("op", args->op, "Op name (configs/<op>.yaml) or a path to a .yaml file")->required();
  cmd->add_option("--shape", args->target.shape, "Watched shape K=V,... (default: the config's first shape)");
  cmd->add_option("--dtype", args->target.dtype, "Element type of the watched shape (f32, f16, bf16)");
  cmd->add_option("--variant", args->target.variants, "Only this variant (repeatable; default: all)");
  cmd->add_flag("--retune", args->retune,
                "Tune every round (candidates with a record for the current source are not timed again); "
                "without it only a changed grid is tuned");
  cmd->add_flag("--once", args->once, "Run one round and exit with its status (0 ok, 1 wrong/fault, 2 bad input)");
  cmd->add_flag("--resume", args->resume, "Skip the first round (used when kpg watch restarts itself)")->group("");
  cmd->add_option("--seed", args->seed, "Seed of the random inputs (default: fresh)")->check(whole_number());
  cmd->add_option("-j,--jobs", args->jobs, "Compile threads of a tune (default: every core)")->check(whole_number(1024));
  cmd->add_option("--debounce-ms", args->debounce_ms, "Quiet time after a save before a round starts")
      ->capture_default_str()
      ->check(CLI::Range(0, 10000));
  cmd->callback([&ctx, args] { ctx.action = [&ctx, args] { return run_watch(ctx, *args); }; });
}

}  // namespace kpg
