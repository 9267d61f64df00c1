// `kpg tune` in worker processes: one per GPU, supervised (tuner/worker_supervisor.hpp),
// so that a faulting or hanging candidate costs one restart, not the run.

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <csignal>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <optional>
#include <random>
#include <set>
#include <thread>

#include "cli/tune_args.hpp"
#include "runtime/device.hpp"
#include "runtime/error.hpp"
#include "tuner/failure_log.hpp"
#include "tuner/progress.hpp"
#include "tuner/space.hpp"

namespace kpg {
namespace {

// The ordinals --devices names, in order, without duplicates; nullopt for "all". Checks the
// syntax only (no GPU needed); the range is checked against the machine in parse_devices.
std::optional<std::vector<int>> parse_device_list(const std::string& text) {
  if (text == "all") return std::nullopt;
  std::vector<int> out;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t end = std::min(text.find(',', start), text.size());
    const std::string item = text.substr(start, end - start);
    int ordinal = -1;
    const auto [stop, ec] = std::from_chars(item.data(), item.data() + item.size(), ordinal);
    if (item.empty() || ec != std::errc() || stop != item.data() + item.size() || ordinal < 0)
      throw InputError(fmt::format("--devices '{}': '{}' is not a GPU ordinal (expected 'all' or ordinals such as "
                                   "'0' or '0,1')",
                                   text, item));
    if (std::find(out.begin(), out.end(), ordinal) == out.end()) out.push_back(ordinal);
    start = end + 1;
  }
  return out;
}

std::vector<int> parse_devices(const std::string& text) {
  const auto listed = parse_device_list(text);
  const int count = Device::count();
  if (!listed) {
    std::vector<int> all;
    for (int i = 0; i < count; ++i) all.push_back(i);
    return all;
  }
  for (int ordinal : *listed)
    if (ordinal >= count)
      throw InputError(fmt::format("--devices '{}': there is no GPU {} (this machine has {} GPU(s): 0..{})", text,
                                   ordinal, count, count - 1));
  return *listed;
}

// The kernel file of the candidate a lost worker was running: its space's, named by the
// candidate id ("space:K=V,...") within the event's variant.
std::filesystem::path failed_source(const OpConfig& config, const WorkerEvent& started) {
  const std::string_view space = space_of_candidate_id(started.record.candidate_id);
  if (const VariantSpec* v = config.find_variant(started.key.variant))
    for (const auto& s : v->spaces)
      if (s.name == space) return s.source;
  return config.sources().front();
}

// Candidates the workers of shards [first, first + mine) of `workers` will time: what the
// tuning cache lacks (or --force re-times).
size_t count_todo(const TuneArgs& args, const OpSession& session, const Tuner& tuner, size_t workers, size_t first,
                  size_t mine) {
  size_t total = 0;
  for (const auto& shape : session.shapes(args.selection))
    for (const VariantSpec* variant : session.variants(args.selection)) {
      const auto candidates = enumerate(session.config(), *variant, shape, tuner.gpu().limits(), nullptr);
      std::set<std::string> known;
      if (!args.force)
        for (const auto& r : session.tuning_cache().load(tuner.cache_key(session.config(), *variant, shape)))
          known.insert(r.candidate_id);
      size_t todo = 0;
      for (size_t i = 0; i < candidates.size(); ++i)
        todo += (i % workers - first < mine && !known.count(candidates[i].id())) ? 1 : 0;
      if (args.budget) todo = std::min(todo, (args.budget + workers - 1) / workers * mine);
      total += todo;
    }
  return total;
}

std::vector<std::string> worker_argv(const CliContext& ctx, const TuneArgs& args, int device, size_t shard,
                                     size_t shards, unsigned jobs, const std::string& retime_before) {
  std::vector<std::string> argv{std::filesystem::read_symlink("/proc/self/exe").string()};
  if (!ctx.kernels_dir_flag.empty()) argv.insert(argv.end(), {"--kernels-dir", ctx.kernels_dir_flag});
  if (!ctx.configs_dir_flag.empty()) argv.insert(argv.end(), {"--configs-dir", ctx.configs_dir_flag});
  for (int i = 0; i < ctx.verbose; ++i) argv.push_back("-v");
  for (int i = 0; i < ctx.quiet; ++i) argv.push_back("-q");
  argv.insert(argv.end(), {"tune", args.op});
  for (const auto& s : args.selection.shapes) argv.insert(argv.end(), {"--shape", s});
  for (const auto& v : args.selection.variants) argv.insert(argv.end(), {"--variant", v});
  if (args.selection.seed) argv.insert(argv.end(), {"--seed", std::to_string(args.selection.seed)});
  if (args.budget) argv.insert(argv.end(), {"--budget", std::to_string(args.budget)});
  argv.insert(argv.end(), {"--jobs", std::to_string(jobs), "--device", std::to_string(device), "--shard",
                           fmt::format("{}/{}", shard, shards), "--worker-fd", std::to_string(kWorkerEventFd)});
  if (!retime_before.empty()) argv.insert(argv.end(), {"--retime-before", retime_before});
  if (!ctx.tuning_cache_dir_override.empty())
    argv.insert(argv.end(), {"--tuning-cache", ctx.tuning_cache_dir_override.string()});
  return argv;
}

}  // namespace

void check_devices_flag(const std::string& devices) { parse_device_list(devices); }

std::vector<std::vector<int>> device_groups(const std::string& devices) {
  std::vector<std::vector<int>> groups;
  std::vector<std::string> identities;
  for (int ordinal : parse_devices(devices)) {
    const std::string id = device_identity(Device(ordinal).props());
    const auto at = std::find(identities.begin(), identities.end(), id);
    if (at == identities.end()) {
      identities.push_back(id);
      groups.push_back({ordinal});
    } else {
      groups[static_cast<size_t>(at - identities.begin())].push_back(ordinal);
    }
  }
  return groups;
}

WorkersReport time_in_workers(const CliContext& ctx, const TuneArgs& args, const OpSession& session,
                              const Tuner& tuner, const WorkerPlan& plan) {
  const auto t0 = std::chrono::steady_clock::now();
  const auto& group = plan.gpus;
  const size_t shards = plan.shard_count ? plan.shard_count : group.size();
  const unsigned cores = args.jobs ? args.jobs : std::max(1u, std::thread::hardware_concurrency());
  const unsigned jobs =
      plan.jobs_per_worker ? plan.jobs_per_worker : std::max(1u, cores / static_cast<unsigned>(group.size()));
  // --force re-times what was recorded before now, also across worker restarts.
  const std::string retime_before = args.force ? utc_timestamp() : "";
  std::vector<WorkerSpec> specs;
  for (size_t i = 0; i < group.size(); ++i)
    specs.push_back({fmt::format("tuning worker on GPU {}", group[i]),
                     worker_argv(ctx, args, group[i], plan.first_shard + i, shards, jobs, retime_before)});

  WorkersReport report;
  report.workers = specs.size();
  const auto& shapes = args.selection.shapes;
  Progress progress(session.config().op + (shapes.size() == 1 ? " at " + shapes.front() : "") + " on " +
                        std::to_string(group.size()) + " GPU(s)",
                    plan.progress ? count_todo(args, session, tuner, shards, plan.first_shard, group.size()) : 0,
                    plan.progress);
  size_t done = 0, failed = 0;
  SupervisorHooks hooks;
  hooks.on_event = [&](size_t, const WorkerEvent& e) {
    if (e.kind != "result") return;
    auto& tally = report.by_key[e.key.file_stem()];
    (e.record.ok ? tally.timed : tally.failed)++;
    report.recorded.push_back({e.key, {e.record}});
    failed += e.record.ok ? 0 : 1;
    ++done;
    progress.update(done, done, failed);
  };
  hooks.on_lost = [&](size_t, const WorkerEvent& started, const std::string& why) {
    TuneRecord r = started.record;
    r.ok = false;
    r.failure = why;
    r.timestamp = utc_timestamp();
    session.tuning_cache().append(started.key, r);
    keep_failure(session.tuning_cache(), started.key, r, failed_source(session.config(), started), nullptr);
    report.by_key[started.key.file_stem()].failed++;
    report.recorded.push_back({started.key, {r}});
    ++done;
    progress.update(done, done, ++failed);
  };
  hooks.on_restart = [&](size_t worker, const std::string& why) {
    spdlog::warn("{} restarted after {}; it goes on with the candidates not yet recorded",
                 specs[worker].label, why);
  };
  SupervisorOptions options;
  options.watchdog = std::chrono::duration<double>(args.watchdog_s);
  const SupervisorReport supervised = supervise(specs, options, hooks);
  progress.finish();
  report.restarts = supervised.restarts;
  report.lost = supervised.lost;
  report.wall_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return report;
}

int run_tune_worker(const CliContext& ctx, const TuneArgs& args) {
  // Killed with its parent (as kpg run's workers): a hung kernel must not hold the GPU
  // after `kpg tune` is gone.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  CliContext worker_ctx = ctx;
  worker_ctx.tuning_cache_dir_override = args.tuning_cache;
  OpSession session(worker_ctx, args.op, args.device);
  TuneOptions options;
  options.retime_before = args.retime_before;
  if (args.budget) options.budget = args.budget;
  options.jobs = args.jobs;
  options.seed = args.selection.seed;
  const size_t slash = args.shard.find('/');
  if (std::sscanf(args.shard.c_str(), "%zu/%zu", &options.shard_index, &options.shard_count) != 2 ||
      slash == std::string::npos || options.shard_count == 0 || options.shard_index >= options.shard_count)
    throw InputError("--shard '" + args.shard + "': expected INDEX/COUNT with INDEX < COUNT");
  options.progress = false;
  options.rematch_ties = false;  // the supervisor settles ties once every shard is in
  options.on_event = [&](const TuneEvent& e) {
    const bool start = e.kind == TuneEvent::Kind::start;
    const char* kind = e.reference ? (start ? "reference" : "reference-done") : (start ? "start" : "result");
    write_event(args.worker_fd, {kind, e.key, e.record, ""});
  };
  using Clock = std::chrono::steady_clock;
  const auto seconds = [](Clock::duration d) { return std::chrono::duration<double>(d).count(); };
  Clock::duration inputs{}, tuning{};
  try {
    for (const auto& shape : session.shapes(args.selection)) {
      const auto t0 = Clock::now();
      Workload workload(session.config(), shape, session.gpu().limits());
      workload.randomize(args.selection.seed ? args.selection.seed : std::random_device{}());
      session.tuner().ensure_reference(session.config(), workload, options.on_event);  // watched like a candidate
      workload.reference();
      const auto t1 = Clock::now();
      for (const VariantSpec* variant : session.variants(args.selection))
        session.tuner().tune(session.config(), *variant, workload, options);
      inputs += t1 - t0;
      tuning += Clock::now() - t1;
    }
    // Where a worker's time goes, for `-v` (the supervisor passes its verbosity on).
    spdlog::info("tuning worker on GPU {}: {:.1f} s inputs and references, {:.1f} s compiling and timing",
                 args.device, seconds(inputs), seconds(tuning));
  } catch (const CandidateFault& e) {
    // Recorded and reported: the supervisor starts a fresh worker with a fresh context.
    std::cerr << "kpg tune worker (GPU " << args.device << "): " << e.what() << "\n";
    return kExitRuntimeError;
  }
  return kExitOk;
}

}  // namespace kpg
