// `mpirun -n N kpg tune OP ...`: kpg as one rank of an MPI job.
//
//   rank 0 ── worker on its GPU ── records ──► the tuning cache ◄─┐ rank 0 merges every
//   rank r ── worker on its GPU ── records ──► r's partial cache ──┘ rank's records, ranks,
//                                                                   re-times ties, prints
// Each rank takes a GPU of its host (its local rank modulo the host's GPUs) and times its
// shard of the grid in its own supervised worker process, as `kpg tune --devices` does on
// one host, so a candidate that faults or hangs costs a worker restart, not the rank.
// Ranks whose cards have the same identity share one ranking: they split the grid between
// them (candidate i goes to the (i mod n)-th of the n ranks). Cards of another identity
// time the whole grid among themselves, keyed apart, and are ranked by their first rank.
//
// Rank 0 is the one writer of the tuning cache. The other ranks record into a partial cache
// of their own (<cache>/partial/<job>/rank-<r>, a tuning cache folder): it holds their
// results even if the job dies, `kpg cache merge` takes it then, and it is removed once
// rank 0 has merged it. Records travel as text through the Communicator (mpi/), once at
// the end: the serial part is one gather, one merge and the ties, whatever the rank count.

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <set>
#include <sstream>
#include <thread>

#include "cli/core/op_session.hpp"
#include "cli/mpi/communicator.hpp"
#include "cli/tune_args.hpp"
#include "report/html_report.hpp"
#include "report/run_description.hpp"
#include "runtime/device.hpp"
#include "runtime/error.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace kpg {
namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

// Where this rank stands in the job.
struct Place {
  int rank = 0;
  int gpu = 0;                   // ordinal on its host
  std::vector<std::string> identity_of;  // every rank's card identity
  std::vector<int> group;        // the ranks whose card has this rank's identity, ascending
  size_t index = 0;              // this rank's position in `group`: its shard
  bool leads() const { return group.front() == rank; }
};

Place place_rank(const Communicator& comm, int gpus) {
  Place p;
  p.rank = comm.rank();
  p.gpu = comm.local_rank() % gpus;
  p.identity_of = comm.all_gather(device_identity(Device(p.gpu).props()));
  for (int r = 0; r < comm.size(); ++r)
    if (p.identity_of[static_cast<size_t>(r)] == p.identity_of[static_cast<size_t>(p.rank)]) {
      if (r == p.rank) p.index = p.group.size();
      p.group.push_back(r);
    }
  return p;
}

// The keys this run tunes on this rank's card, by file stem.
std::set<std::string> run_keys(const TuneArgs& args, const OpSession& session) {
  std::set<std::string> stems;
  for (const auto& shape : session.shapes(args.selection))
    for (const VariantSpec* variant : session.variants(args.selection))
      stems.insert(session.tuner().cache_key(session.config(), *variant, shape).file_stem());
  return stems;
}

// Candidates of this rank's shard that still have no record after its worker failed
// (with --force: none made since `since`), as "variant/candidate at shape".
std::vector<std::string> unfinished(const TuneArgs& args, const OpSession& session, const Place& place,
                                    const std::string& since) {
  std::vector<std::string> out;
  for (const auto& shape : session.shapes(args.selection))
    for (const VariantSpec* variant : session.variants(args.selection)) {
      std::set<std::string> done;
      for (const auto& r : session.tuning_cache().load(session.tuner().cache_key(session.config(), *variant, shape)))
        if (!args.force || r.timestamp >= since) done.insert(r.candidate_id);
      const auto candidates = enumerate(session.config(), *variant, shape, session.gpu().limits(), nullptr);
      for (size_t i = 0; i < candidates.size(); ++i)
        if (i % place.group.size() == place.index && !done.count(candidates[i].id()))
          out.push_back(variant->name + "/" + candidates[i].id() + " at " + shape.to_string());
    }
  return out;
}

// What one rank sends after timing its shard.
struct RankOutcome {
  int rank = 0, gpu = 0;
  std::string host;
  std::string failure;  // non-empty: the shard's worker failed (not a candidate)
  int failure_exit = 0;
  std::vector<std::string> unfinished;
  WorkersReport workers;
};

std::string encode(const RankOutcome& o) {
  json tallies = json::object();
  for (const auto& [stem, t] : o.workers.by_key) tallies[stem] = {t.timed, t.failed};
  return json{{"rank", o.rank},
              {"gpu", o.gpu},
              {"host", o.host},
              {"failure", o.failure},
              {"failure_exit", o.failure_exit},
              {"unfinished", o.unfinished},
              {"restarts", o.workers.restarts},
              {"wall_ms", o.workers.wall_ms},
              {"tallies", tallies},
              {"records", encode_keyed_records(o.workers.recorded)}}
      .dump();
}

RankOutcome decode_outcome(const std::string& text) {
  const json j = json::parse(text);
  RankOutcome o;
  o.rank = j.at("rank").get<int>();
  o.gpu = j.at("gpu").get<int>();
  o.host = j.at("host").get<std::string>();
  o.failure = j.at("failure").get<std::string>();
  o.failure_exit = j.at("failure_exit").get<int>();
  o.unfinished = j.at("unfinished").get<std::vector<std::string>>();
  o.workers.restarts = j.at("restarts").get<size_t>();
  o.workers.wall_ms = j.at("wall_ms").get<double>();
  for (const auto& [stem, t] : j.at("tallies").items()) o.workers.by_key[stem] = {t.at(0).get<size_t>(), t.at(1).get<size_t>()};
  o.workers.recorded = decode_keyed_records(j.at("records").get<std::string>());
  return o;
}

// Times this rank's shard of every selected shape in one worker process. A worker that
// fails for a reason other than a candidate loses the shard's unfinished candidates, which
// are listed; the job goes on with the other ranks' results.
RankOutcome time_shard(const CliContext& rank_ctx, const TuneArgs& args, const OpSession& session,
                       const Place& place, const std::string& host, unsigned jobs) {
  RankOutcome out;
  out.rank = place.rank;
  out.gpu = place.gpu;
  out.host = host;
  WorkerPlan plan{{place.gpu}, place.index, place.group.size(), jobs, place.rank == 0};
  const std::string since = utc_timestamp();
  try {
    out.workers = time_in_workers(rank_ctx, args, session, session.tuner(), plan);
  } catch (const WorkerFailed& e) {
    out.failure = e.what();
    out.failure_exit = e.exit_code();
  } catch (const Error& e) {
    out.failure = e.what();
    out.failure_exit = kExitRuntimeError;
  }
  if (!out.failure.empty()) {
    std::cerr << fmt::format("kpg tune (rank {} on {}): its shard stopped: {}\n", place.rank, out.host, out.failure);
    out.unfinished = unfinished(args, session, place, since);
  }
  return out;
}

// What the tuning cache knows of the keys this run tunes, for the ranks whose cache may
// be on another host: rank 0 sends it, each rank seeds its partial cache with its card's.
std::string known_records(const OpSession& session) {
  return encode_keyed_records(session.tuning_cache().list(session.config().op));
}

void seed_partial_cache(const OpSession& session, const std::set<std::string>& keys, const std::string& known) {
  for (const auto& [key, records] : decode_keyed_records(known))
    if (keys.count(key.file_stem())) session.tuning_cache().append(key, records);
}

// The counts of every rank of `group`, as one workers report.
WorkersReport group_report(const std::vector<RankOutcome>& outcomes, const std::vector<int>& group) {
  WorkersReport w;
  w.workers = group.size();
  w.unit = "rank(s)";
  for (int r : group) {
    const auto& o = outcomes[static_cast<size_t>(r)];
    for (const auto& [stem, t] : o.workers.by_key) {
      w.by_key[stem].timed += t.timed;
      w.by_key[stem].failed += t.failed;
    }
    w.restarts += o.workers.restarts;
    w.wall_ms = std::max(w.wall_ms, o.workers.wall_ms);
    w.shards_lost = w.shards_lost || !o.failure.empty();
  }
  return w;
}

std::string describe_ranks(const Place& place, const std::vector<RankOutcome>& outcomes) {
  std::map<std::string, std::vector<int>> by_identity;
  for (size_t r = 0; r < place.identity_of.size(); ++r) by_identity[place.identity_of[r]].push_back(static_cast<int>(r));
  std::string text = fmt::format("tuned on {} MPI ranks; ranks with the same card share the grid, one shard each:\n",
                                 outcomes.size());
  for (const auto& [identity, ranks] : by_identity) {
    text += "  " + identity + ":";
    for (int r : ranks) {
      const auto& o = outcomes[static_cast<size_t>(r)];
      text += fmt::format(" rank {} ({} GPU {}){}", r, o.host, o.gpu, r == ranks.back() ? "" : ",");
    }
    text += "\n";
  }
  return text;
}

// Rank 0's word on ranks whose shard stopped: which candidates have no record, and how to
// time them.
std::string describe_losses(const std::vector<RankOutcome>& outcomes) {
  std::string text;
  for (const auto& o : outcomes) {
    if (o.failure.empty()) continue;
    text += fmt::format("rank {} ({} GPU {}) lost its shard: {}\n", o.rank, o.host, o.gpu, o.failure);
    if (o.unfinished.empty()) {
      text += "  every candidate of its shard has a record\n";
      continue;
    }
    text += fmt::format("  {} candidate(s) of its shard have no record:", o.unfinished.size());
    constexpr size_t kShown = 20;
    for (size_t i = 0; i < o.unfinished.size() && i < kShown; ++i) text += "\n    " + o.unfinished[i];
    if (o.unfinished.size() > kShown) text += fmt::format("\n    ... and {} more", o.unfinished.size() - kShown);
    text += "\n  the same command, run again, times only the candidates without a record\n";
  }
  return text;
}

// Partial caches of earlier jobs that did not end (or still run), worth a merge.
std::vector<fs::path> leftover_partials(const fs::path& cache_dir, const std::string& job) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(cache_dir / "partial", ec)) {
    std::error_code empty_ec;
    // An empty one is what two ranks removing their partial caches at once may leave.
    if (entry.is_directory() && entry.path().filename() != job && !fs::is_empty(entry.path(), empty_ec))
      out.push_back(entry.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string job_id() {
  std::string stamp = utc_timestamp();
  stamp.erase(std::remove_if(stamp.begin(), stamp.end(), [](char c) { return c == ':' || c == '-'; }), stamp.end());
  return stamp + "-" + std::to_string(::getpid());
}

// What a group's first rank (not rank 0) sends rank 0: its rankings and their records.
std::string encode_ranking(const std::string& text, const KeyedRecords& records, bool found) {
  return json{{"text", text}, {"records", encode_keyed_records(records)}, {"found", found}}.dump();
}

int tune_as_rank(const CliContext& ctx, const TuneArgs& args, const Communicator& comm, fs::path& partial) {
  const Place place = place_rank(comm, Device::count());
  const std::string job = comm.broadcast(comm.rank() == 0 ? job_id() : "");
  CliContext rank_ctx = ctx;
  if (comm.rank() != 0) {
    partial = ctx.cache_dir() / "partial" / job / fmt::format("rank-{}", comm.rank());
    rank_ctx.tuning_cache_dir_override = partial;
  }
  OpSession session(rank_ctx, args.op, place.gpu);
  const std::string known = comm.broadcast(comm.rank() == 0 ? known_records(session) : "");
  if (comm.rank() != 0) seed_partial_cache(session, run_keys(args, session), known);
  const unsigned jobs = args.jobs ? args.jobs : threads_per_rank(comm);
  if (comm.rank() == 0) {
    // One thread although the host has more cores than ranks: the launcher bound the rank.
    if (jobs == 1 && std::thread::hardware_concurrency() > static_cast<unsigned>(comm.local_size()))
      spdlog::warn("this rank may use one core only, so its candidates compile one at a time: mpirun binds ranks "
                   "to cores by default; give it --bind-to none (or --jobs N)");
    const auto leftovers = leftover_partials(ctx.cache_dir(), job);
    if (!leftovers.empty())
      spdlog::warn("{} partial cache(s) of MPI jobs that ended early (or still run) are in {}: `kpg cache merge {}` "
                   "takes what they measured",
                   leftovers.size(), (ctx.cache_dir() / "partial").string(), (ctx.cache_dir() / "partial").string());
  }

  // 1. Every rank times its shard.
  const RankOutcome mine = time_shard(rank_ctx, args, session, place, comm.host(), jobs);
  std::vector<RankOutcome> outcomes;
  for (const auto& text : comm.all_gather(encode(mine))) outcomes.push_back(decode_outcome(text));

  // 2. The records meet: every rank's in the tuning cache (rank 0), a group's in the
  //    partial cache of its first rank (which ranks that card). One write per key.
  const auto merge_start = Clock::now();
  size_t merged = 0;
  if (comm.rank() == 0 || place.leads()) {
    std::vector<KeyedRecords> others;
    for (const auto& o : outcomes)
      if (o.rank != comm.rank() &&
          (comm.rank() == 0 || std::count(place.group.begin(), place.group.end(), o.rank) > 0))
        others.push_back(o.workers.recorded);
    for (const auto& [key, records] : combine(others)) {
      session.tuning_cache().append(key, records);
      merged += records.size();
    }
  }
  const double merge_ms = ms_since(merge_start);

  // 3. Each group's first rank ranks its card's records, re-timing ties on its GPU.
  const auto rank_start = Clock::now();
  const WorkersReport timed = group_report(outcomes, place.group);
  std::vector<report::HtmlSection> sections;
  std::ostringstream elsewhere;
  std::ostream& out = comm.rank() == 0 ? std::cout : elsewhere;
  bool found = true;
  int worst = kExitOk;  // this rank's rankings
  if (comm.rank() == 0) {
    std::cout << describe_ranks(place, outcomes) << describe_losses(outcomes) << "\n" << std::flush;
    if (!args.html.empty())
      sections.push_back({"Run", describe_run(session.gpu()) + "\n\n" + describe_ranks(place, outcomes) +
                                     "\n\nConfig: " + session.config().file.string(), {}, {}, ""});
  }
  KeyedRecords ranked;
  if (place.leads()) {
    if (comm.rank() != 0) out << "on " << place.identity_of[static_cast<size_t>(comm.rank())] << ":\n";
    for (const auto& shape : session.shapes(args.selection)) {
      const int status = print_rankings(args, session, session.tuner(), shape, &timed, out,
                                        comm.rank() == 0 && !args.html.empty() ? &sections : nullptr);
      worst = std::max(worst, status);
      found = found && status == kExitOk;
      if (comm.rank() != 0)
        for (const VariantSpec* variant : session.variants(args.selection)) {
          const CacheKey key = session.tuner().cache_key(session.config(), *variant, shape);
          ranked.push_back({key, session.tuning_cache().load(key)});
        }
    }
  }
  const double rank_ms = ms_since(rank_start);

  // 4. Other cards' rankings (with their re-timed ties) reach rank 0, which merges and prints them.
  const auto rankings = comm.gather(place.leads() && comm.rank() != 0 ? encode_ranking(elsewhere.str(), ranked, found) : "");
  if (comm.rank() != 0) return kExitOk;  // rank 0's exit code is the job's
  for (const auto& text : rankings) {
    if (text.empty()) continue;
    const json j = json::parse(text);
    std::cout << j.at("text").get<std::string>();
    for (const auto& [key, records] : decode_keyed_records(j.at("records").get<std::string>()))
      session.tuning_cache().append(key, records);
    found = found && j.at("found").get<bool>();
  }
  size_t restarts = 0;
  double slowest_ms = 0;
  bool lost = false, lost_to_input = true;
  for (const auto& o : outcomes) {
    restarts += o.workers.restarts;
    slowest_ms = std::max(slowest_ms, o.workers.wall_ms);
    if (o.failure.empty()) continue;
    lost = true;
    lost_to_input = lost_to_input && o.failure_exit == kExitBadInput;
  }
  std::cout << fmt::format(
      "timing took {:.1f} s wall on {} ranks (the slowest shard), {} worker restart(s); merging {} records from "
      "the other ranks took {:.0f} ms; ranking (with any tie re-timed on rank 0's GPU) took {:.1f} s\n\n",
      slowest_ms / 1000, outcomes.size(), restarts, merged, merge_ms, rank_ms / 1000);
  if (!args.html.empty()) write_html(args.html, "kpg tune " + session.config().op, sections);
  if (lost) return lost_to_input ? kExitBadInput : kExitRuntimeError;
  return found ? kExitOk : std::max(worst, kExitRuntimeError);
}

// Bad input and a missing GPU are found before MPI starts, the same way on every rank:
// each exits with the message, and no rank waits for another.
void check_input(const CliContext& ctx, const TuneArgs& args) {
  if (args.no_tune || args.in_process)
    throw InputError(std::string(args.no_tune ? "--no-tune times nothing" : "--in-process would let a fault end the job") +
                     ": run it without mpirun");
  if (args.devices != "0")
    throw InputError("--devices '" + args.devices +
                     "': under mpirun each rank uses one GPU of its host (its local rank modulo the host's GPUs); "
                     "leave --devices out and start one rank per GPU");
  const OpConfig config = load_config(resolve_op_config(args.op, ctx.configs_dir()), ctx.kernels_dir());
  for (const auto& text : args.selection.shapes) parse_shape(text, config);
  select_variants(config, args.selection.variants);
  if (Device::count() == 0) throw Error("no GPU on this host: every rank of kpg tune times on one");
}

}  // namespace

int run_tune_ranks(const CliContext& ctx, const TuneArgs& args) {
  check_input(ctx, args);
  const auto comm = join_mpi();
  fs::path partial;
  const int code = run_on_every_rank(*comm, "tune", [&] { return tune_as_rank(ctx, args, *comm, partial); });
  // Rank 0 has merged this rank's records (the exit code above came after): its partial
  // cache has served. Folders of the job that are left empty go too.
  if (!partial.empty()) {
    std::error_code ec;
    fs::remove_all(partial, ec);
    if (ec) spdlog::warn("could not remove the partial cache {}: {}", partial.string(), ec.message());
    fs::remove(partial.parent_path(), ec);                // the job's folder, once empty
    fs::remove(partial.parent_path().parent_path(), ec);  // partial/, once empty
  }
  return code;
}

}  // namespace kpg
