#include "cli/compile_all.hpp"

#include <cstdio>
#include <memory>

#include "cli/mpi/communicator.hpp"
#include "runtime/compiler.hpp"
#include "runtime/cubin_cache.hpp"
#include "runtime/device.hpp"
#include "runtime/driver.hpp"
#include "runtime/error.hpp"
#include "tuner/compile_all.hpp"
#include "tuner/gpu.hpp"

namespace kpg {
namespace {

bool have_gpu() { return driver_available() && Device::count() > 0; }

void print_report(const OpCompileReport& r) {
  std::printf("== %s (%s)\n", r.op.c_str(), r.config_file.string().c_str());
  if (!r.config_error.empty()) {
    std::printf("   config not compiled: %s\n", r.config_error.c_str());
    return;
  }
  std::printf("   %zu candidates, %zu unique compiles (%zu from cache", r.candidates, r.unique_compiles, r.cache_hits);
  if (r.skipped_compiles > 0) std::printf(", %zu skipped", r.skipped_compiles);
  std::printf("), %zu failed, %zu kernel(s) with stack/spills, %zu ptxas performance warning(s), %.1f s\n",
              r.failures.size(), r.spills.size(), r.performance_warnings.size(), r.seconds);
  for (const auto& f : r.failures) {
    std::printf("   FAILED %s at %s: %s\n", f.candidate.c_str(), f.shape.c_str(), f.first_error_line.c_str());
    std::printf("          reproduce: %s\n", f.reproduce.c_str());
  }
  for (const auto& s : r.spills) {
    const auto& k = s.kernel;
    std::printf("   SPILLS %s at %s: %s: stack %s B, spill stores %s B, loads %s B\n", s.candidate.c_str(),
                s.shape.c_str(), demangle(k.kernel).c_str(), format_resource(k.stack_bytes).c_str(),
                format_resource(k.spill_store_bytes).c_str(), format_resource(k.spill_load_bytes).c_str());
  }
  for (const auto& w : r.performance_warnings)
    std::printf("   SLOWER %s at %s: %s\n", w.candidate.c_str(), w.shape.c_str(), w.text.c_str());
}

}  // namespace

namespace {

// Compiles every config (of this rank's shard, under MPI) and prints one report per
// config (rank 0, the shards' reports merged), then the totals.
int compile_configs(const CliContext& ctx, const CompileAllArgs& args, const Communicator* comm) {
  CompileAllOptions options;
  options.kernels_dir = ctx.kernels_dir();
  options.jobs = args.jobs;
  if (comm) {
    options.shard_index = static_cast<size_t>(comm->rank());
    options.shard_count = static_cast<size_t>(comm->size());
    if (!args.jobs) options.jobs = threads_per_rank(*comm);
  }
  const bool prints = !comm || comm->rank() == 0;
  // Grids are pruned for the card in the machine, else for an H100.
  if (have_gpu()) {
    const Gpu gpu(0);
    options.limits = gpu.limits();
    options.arch = args.arch.empty() ? gpu.props().arch() : args.arch;
  } else {
    options.limits = h100_limits();
    options.arch = args.arch.empty() ? "sm_90" : args.arch;
  }
  options.limits.compute_capability = 0;  // compiling needs no card: spaces of every arch compile

  std::unique_ptr<CubinCache> cache;
  if (!args.no_cache) cache = std::make_unique<CubinCache>(ctx.cache_dir());
  const Compiler compiler(cache.get());
  const auto files = config_files_in(ctx.configs_dir());
  if (files.empty()) throw InputError("no op configs (*.yaml) in " + ctx.configs_dir().string());

  if (prints)
    std::printf("compiling %zu op config(s) for %s (spaces with their own arch keep it)%s\n", files.size(),
                options.arch.c_str(), comm ? (" on " + std::to_string(comm->size()) + " MPI ranks").c_str() : "");
  size_t failed = 0, compiles = 0;
  for (const auto& file : files) {
    auto reports = compile_all({file}, compiler, options);  // one at a time, so each prints as it ends
    if (comm) {  // every rank compiled its shard of this config: rank 0 puts them together
      std::vector<OpCompileReport> shards;
      for (const auto& text : comm->gather(encode_json(reports.front())))
        shards.push_back(decode_compile_report_json(text));
      if (!prints) continue;
      reports = {merge_shard_reports(shards)};
    }
    for (const auto& r : reports) {
      print_report(r);
      std::fflush(stdout);
      compiles += r.unique_compiles;
      failed += r.failures.size() + (r.config_error.empty() ? 0 : 1);
    }
  }
  if (!prints) return kExitOk;  // rank 0's exit code is the job's
  std::printf("%zu unique compiles, %zu failure(s)\n", compiles, failed);
  return failed == 0 ? kExitOk : kExitBadInput;
}

}  // namespace

int run_compile_all(const CliContext& ctx, const CompileAllArgs& args) {
  if (launcher_world_size() <= 1) return compile_configs(ctx, args, nullptr);
  const auto comm = join_mpi();
  return run_on_every_rank(*comm, "compile --all", [&] { return compile_configs(ctx, args, comm.get()); });
}

}  // namespace kpg
