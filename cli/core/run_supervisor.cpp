#include "cli/core/run_supervisor.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <map>
#include <nlohmann/json.hpp>

#include "cli/core/command.hpp"
#include "tuner/space.hpp"

namespace kpg {
namespace {

bool starts_with(const std::string& text, const char* prefix) { return text.rfind(prefix, 0) == 0; }

// The failure without its kind ("fault: X" -> "X").
std::string failure_detail(const std::string& failure) {
  const size_t colon = failure.find(": ");
  return colon == std::string::npos ? failure : failure.substr(colon + 2);
}

}  // namespace

WorkerEvent run_event(const std::string& kind, const RunUnit& unit) {
  WorkerEvent e;
  e.kind = kind;
  e.key.op = unit.op;
  e.key.device = unit.gpu;
  e.key.shape_key = unit.shape;
  e.key.variant = unit.record.variant;
  e.record = unit.record;
  e.note = nlohmann::json{{"unit", unit.index}, {"last", unit.last}, {"source", unit.source}, {"gbs", unit.gbs}}.dump();
  return e;
}

std::optional<RunUnit> run_unit_of(const WorkerEvent& event) {
  const auto note = nlohmann::json::parse(event.note, nullptr, false);
  if (note.is_discarded() || !note.is_object() || !note.contains("unit")) return std::nullopt;
  RunUnit u;
  try {
    u.index = note.at("unit").get<size_t>();
    u.last = note.value("last", false);
    u.source = note.value("source", "");
    u.gbs = note.value("gbs", 0.0);
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
  u.op = event.key.op;
  u.gpu = event.key.device;
  u.shape = event.key.shape_key;
  u.record = event.record;
  return u;
}

std::string verdict(const RunUnit& unit) {
  if (unit.record.ok) return "ok";
  const std::string& f = unit.record.failure;
  if (starts_with(f, "wrong result")) return "WRONG";
  if (starts_with(f, "fault")) return "FAULT";
  if (starts_with(f, "hang")) return "HANG";
  if (starts_with(f, "crash")) return "CRASH";
  return "ERROR";
}

std::string reproduce_command(const std::string& prefix, const std::string& shape, const TuneRecord& record) {
  std::string params;
  for (const auto& [k, v] : record.params) params += (params.empty() ? "" : ",") + k + "=" + std::to_string(v);
  const std::string_view space = space_of_candidate_id(record.candidate_id);
  return fmt::format("{} --shape {} --variant {} --space {}{}", prefix, shape, record.variant, space,
                     params.empty() ? "" : " --params " + params);
}

std::string failure_report(const RunUnit& unit, const std::string& repro) {
  return fmt::format("{} {} {} at {}: {}\n    reproduce: {}\n", verdict(unit), unit.record.variant,
                     unit.record.candidate_id, unit.shape, failure_detail(unit.record.failure),
                     reproduce_command(repro, unit.shape, unit.record));
}

RunOutcome supervise_run(const RunSupervision& supervision, std::ostream& out) {
  RunOutcome outcome;
  size_t next = 0;          // the unit after the last one started
  bool none_left = false;   // the last one started was the run's last
  SupervisorHooks hooks;
  const auto finished = [&](RunUnit unit) {
    if (!unit.record.ok) out << failure_report(unit, supervision.repro) << std::flush;
    outcome.units.push_back(std::move(unit));
  };
  hooks.on_event = [&](size_t, const WorkerEvent& e) {
    auto unit = run_unit_of(e);
    if (!unit) return;
    if (e.kind == "start") {
      next = unit->index + 1;
      none_left = unit->last;
      if (!outcome.first_start) outcome.first_start = std::chrono::steady_clock::now();
      return;
    }
    finished(std::move(*unit));
  };
  hooks.on_lost = [&](size_t, const WorkerEvent& started, const std::string& why) {
    auto unit = run_unit_of(started);
    if (!unit) return;
    unit->record.ok = false;
    unit->record.failure = why;
    finished(std::move(*unit));
  };
  hooks.restart_argv = [&](size_t) {
    if (none_left) return std::vector<std::string>{};
    auto argv = supervision.worker_argv;
    argv.insert(argv.end(), {"--resume-from", std::to_string(next)});
    return argv;
  };
  hooks.on_restart = [&](size_t, const std::string& why) {
    ++outcome.restarts;
    spdlog::debug("kpg run: a fresh worker goes on with unit {} after {}", next, why);
  };
  SupervisorOptions options;
  options.watchdog = supervision.watchdog;
  try {
    supervise({{"kpg run worker", supervision.worker_argv}}, options, hooks);
  } catch (const ReferenceLost& e) {  // the worker could not say this itself
    out << "kpg: error: " << e.what() << "\n" << std::flush;
    outcome.worker_failed = kExitRuntimeError;
  } catch (const WorkerFailed& e) {
    outcome.worker_failed = e.exit_code() == kExitBadInput ? kExitBadInput : kExitRuntimeError;
  }
  return outcome;
}

std::string summary_line(const std::vector<RunUnit>& units) {
  std::map<std::string, size_t> n;
  for (const auto& u : units) ++n[verdict(u)];
  return fmt::format("{} unit(s): {} ok, {} wrong, {} fault, {} hang, {} crash, {} error", units.size(), n["ok"],
                     n["WRONG"], n["FAULT"], n["HANG"], n["CRASH"], n["ERROR"]);
}

int run_exit_code(const RunOutcome& outcome) {
  if (outcome.worker_failed) return *outcome.worker_failed;
  for (const auto& u : outcome.units)
    if (!u.record.ok) return kExitRuntimeError;
  return kExitOk;
}

}  // namespace kpg
