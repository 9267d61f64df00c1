// kpg cache list|show|clear|merge: what the tuning cache holds, per op, device and shape.
// Needs no GPU.

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <memory>
#include <set>

#include "cli/cache_merge.hpp"
#include "cli/core/command.hpp"
#include "runtime/cubin_cache.hpp"
#include "runtime/error.hpp"
#include "tuner/tuning_cache.hpp"
#include "report/table.hpp"

namespace kpg {
namespace {

struct CacheArgs {
  std::string op;
  bool cubins = false;
};

uintmax_t folder_bytes(const std::filesystem::path& dir, size_t* files) {
  uintmax_t bytes = 0;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec); !ec && it != decltype(it){}; it.increment(ec))
    if (it->is_regular_file(ec)) {
      bytes += it->file_size(ec);
      ++*files;
    }
  return bytes;
}

// The op argument: a name as configs spell it, never a path.
std::optional<std::string> op_filter(const CacheArgs& a) {
  if (a.op.empty()) return std::nullopt;
  if (!is_op_name(a.op))
    throw InputError("'" + a.op + "' is not an op name (expected lowercase letters, digits, '_' or '-'; no '/' or '..')");
  return a.op;
}

int list(const CliContext& ctx, const CacheArgs& args) {
  const TuningCache cache(ctx.cache_dir());
  report::Table t{"tuning cache: " + ctx.cache_dir().string(),
                  {"op", "variant", "shape", "device", "records", "ok", "best", "best ms"}, {}, {}};
  for (const auto& [key, records] : cache.list(op_filter(args))) {
    const auto ok = std::count_if(records.begin(), records.end(), [](const auto& r) { return r.ok; });
    const auto best = std::min_element(records.begin(), records.end(), [](const auto& a, const auto& b) {
      if (a.ok != b.ok) return a.ok;
      return a.median_ms < b.median_ms;
    });
    const bool has_best = best != records.end() && best->ok;
    t.rows.push_back({key.op, key.variant, key.shape_key, key.device, std::to_string(records.size()),
                      std::to_string(ok), has_best ? best->candidate_id : "-",
                      has_best ? fmt::format("{:.4f}", best->median_ms) : "-"});
  }
  size_t files = 0;
  const auto bytes = folder_bytes(ctx.cache_dir() / "cubin", &files);
  t.notes.push_back(fmt::format("cubin cache: {} files, {:.1f} MB", files, static_cast<double>(bytes) / 1e6));
  std::cout << report::render_text(t);
  return kExitOk;
}

int show(const CliContext& ctx, const CacheArgs& args) {
  const TuningCache cache(ctx.cache_dir());
  for (const auto& [key, records] : cache.list(op_filter(args))) {
    report::Table t{fmt::format("{}/{} at {} on {} (source {:.12})", key.op, key.variant, key.shape_key, key.device,
                                key.source_hash),
                    {"config", "ok", "median ms", "min ms", "spread %", "reps", "failure", "when"}, {}, {}};
    auto sorted = records;
    std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
      if (a.ok != b.ok) return a.ok;
      return a.median_ms < b.median_ms;
    });
    for (const auto& r : sorted)
      t.rows.push_back({r.candidate_id, r.ok ? "yes" : "no", r.ok ? fmt::format("{:.4f}", r.median_ms) : "-",
                        r.ok ? fmt::format("{:.4f}", r.min_ms) : "-", r.ok ? fmt::format("{:.1f}", r.spread_pct) : "-",
                        std::to_string(r.reps), r.failure.substr(0, 60), r.timestamp});
    std::cout << report::render_text(t) << "\n";
  }
  return kExitOk;
}

// Removes only what kpg wrote into its cache (TuningCache::clear, CubinCache::clear), and
// for one op only an op the cache holds.
int clear(const CliContext& ctx, const CacheArgs& args) {
  TuningCache cache(ctx.cache_dir());
  const auto op = op_filter(args);
  if (op && cache.list(*op).empty()) {  // reads this op's files only; every op's for the message
    std::set<std::string> held;
    for (const auto& [key, records] : cache.list()) held.insert(key.op);
    std::string known;
    for (const auto& name : held) known += (known.empty() ? "" : ", ") + name;
    throw InputError("the tuning cache (" + ctx.cache_dir().string() + ") holds no records of op '" + *op +
                     "' (it holds: " + (known.empty() ? "none" : known) + ")");
  }
  const size_t removed = cache.clear(op);
  std::cout << "removed " << removed << " tuning-cache files" << (args.op.empty() ? "" : " of op " + args.op) << "\n";
  if (args.cubins) std::cout << "removed " << CubinCache(ctx.cache_dir()).clear() << " cubin-cache entries\n";
  return kExitOk;
}

}  // namespace

void add_cache_command(CLI::App& app, CliContext& ctx) {
  auto args = std::make_shared<CacheArgs>();
  auto* cmd = app.add_subcommand("cache", "Inspect, clear or merge into the tuning cache ($KPG_CACHE_DIR)");
  cmd->require_subcommand(1);
  auto* l = cmd->add_subcommand("list", "One line per op, variant, shape and device");
  l->add_option("op", args->op, "Only this op");
  l->callback([&ctx, args] { ctx.action = [&ctx, args] { return list(ctx, *args); }; });
  auto* s = cmd->add_subcommand("show", "Every record: time or failure of each configuration");
  s->add_option("op", args->op, "Only this op");
  s->callback([&ctx, args] { ctx.action = [&ctx, args] { return show(ctx, *args); }; });
  auto* c = cmd->add_subcommand("clear", "Remove tuning records (of one op, or all)");
  c->add_option("op", args->op, "Only this op (a name the cache holds, as `kpg cache list` shows it)");
  c->add_flag("--cubins", args->cubins, "Also remove every compiled cubin");
  c->callback([&ctx, args] { ctx.action = [&ctx, args] { return clear(ctx, *args); }; });
  add_cache_merge_command(cmd, ctx);
}

}  // namespace kpg
