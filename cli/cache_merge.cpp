// kpg cache merge PATH...: tuning caches made elsewhere (other hosts, the tasks of a job
// array, the partial caches of an MPI job that ended early) merged into this one, under
// its lock, with TuningCache::merge's rules. The inputs are only read. Every path is read
// before anything is written, so a bad one (exit 2) leaves the cache as it was. Under
// mpirun the paths are read by all ranks (path i by rank i mod N) and merged by rank 0.

#include "cli/cache_merge.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <iostream>
#include <memory>

#include "cli/mpi/communicator.hpp"
#include "runtime/error.hpp"
#include "tuner/cache_merge.hpp"

namespace kpg {
namespace {

using nlohmann::json;

struct MergeArgs {
  std::vector<std::string> paths;
};

size_t record_count(const KeyedRecords& files) {
  size_t n = 0;
  for (const auto& [key, records] : files) n += records.size();
  return n;
}

// Reads, prints what was read, merges and prints what changed. Sources in path order.
int merge_sources(const CliContext& ctx, const std::vector<CacheSource>& sources) {
  std::vector<KeyedRecords> all;
  size_t files = 0, records = 0;
  for (const auto& s : sources) {
    std::cout << fmt::format("{}: {} tuning-cache file(s), {} record(s)", s.path.string(), s.files.size(),
                             record_count(s.files));
    if (s.foreign > 0) std::cout << fmt::format(" ({} other .json file(s) ignored)", s.foreign);
    std::cout << "\n";
    for (const auto& d : s.damaged) std::cout << "  skipped damaged " << d << "\n";
    files += s.files.size();
    records += record_count(s.files);
    all.push_back(s.files);
  }
  TuningCache cache(ctx.tuning_cache_dir());
  const MergeTally tally = merge_into(cache, combine(all));
  std::cout << fmt::format(
      "merged {} record(s) of {} file(s) into {}: {} added or newer than the cache's, {} already there or older\n",
      records, files, ctx.tuning_cache_dir().string(), tally.changed, records - tally.changed);
  return kExitOk;
}

int merge_here(const CliContext& ctx, const MergeArgs& args) {
  std::vector<CacheSource> sources;
  for (const auto& p : args.paths) sources.push_back(read_cache_source(p));
  return merge_sources(ctx, sources);
}

// One path as read by a rank, to send to rank 0.
json encode_source(size_t index, const CacheSource& s) {
  json files = json::array();
  for (const auto& file : s.files) files.push_back(encode_keyed_records({file}));
  return json{{"index", index}, {"path", s.path.string()}, {"files", files}, {"damaged", s.damaged}, {"foreign", s.foreign}};
}

int merge_as_ranks(const CliContext& ctx, const MergeArgs& args) {
  const auto comm = join_mpi();
  return run_on_every_rank(*comm, "cache merge", [&] {
    json mine{{"sources", json::array()}, {"errors", json::array()}};
    for (size_t i = static_cast<size_t>(comm->rank()); i < args.paths.size(); i += static_cast<size_t>(comm->size())) {
      try {
        mine["sources"].push_back(encode_source(i, read_cache_source(args.paths[i])));
      } catch (const InputError& e) {
        mine["errors"].push_back({{"index", i}, {"error", e.what()}});
      }
    }
    const auto gathered = comm->gather(mine.dump());
    if (comm->rank() != 0) return kExitOk;
    std::vector<CacheSource> sources(args.paths.size());
    std::vector<std::pair<size_t, std::string>> errors;
    for (const auto& text : gathered) {
      const json j = json::parse(text);
      for (const auto& e : j.at("errors")) errors.emplace_back(e.at("index").get<size_t>(), e.at("error").get<std::string>());
      for (const auto& s : j.at("sources")) {
        CacheSource& source = sources.at(s.at("index").get<size_t>());
        source.path = s.at("path").get<std::string>();
        for (const auto& file : s.at("files"))
          for (auto& entry : decode_keyed_records(file.get<std::string>())) source.files.push_back(std::move(entry));
        source.damaged = s.at("damaged").get<std::vector<std::string>>();
        source.foreign = s.at("foreign").get<size_t>();
      }
    }
    if (!errors.empty()) {  // as one process would: the first bad path, nothing merged
      std::sort(errors.begin(), errors.end());
      std::cerr << "kpg: error: " << errors.front().second << "\n";
      return kExitBadInput;
    }
    return merge_sources(ctx, sources);
  });
}

int merge(const CliContext& ctx, const MergeArgs& args) {
  return launcher_world_size() > 1 ? merge_as_ranks(ctx, args) : merge_here(ctx, args);
}

}  // namespace

void add_cache_merge_command(CLI::App* cache, CliContext& ctx) {
  auto args = std::make_shared<MergeArgs>();
  auto* m = cache->add_subcommand(
      "merge",
      "Merge tuning caches made elsewhere (cache folders, their tuning/ folders, single files; other hosts, job "
      "arrays, the partial caches of an MPI job) into this one: a record is added when it is new or newer, so "
      "merging twice adds nothing; the inputs are only read");
  m->add_option("paths", args->paths, "Cache folders or tuning-cache files")->required();
  m->callback([&ctx, args] { ctx.action = [&ctx, args] { return merge(ctx, *args); }; });
}

}  // namespace kpg
