// `kpg run`'s supervision of its worker, driven by fake workers: shell scripts that write
// the unit events a real worker writes on fd 3, then fault, crash or hang the way broken
// kernels make a real worker do, and record the --resume-from they were started with.

#include "cli/core/run_supervisor.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/cli/cli_test_support.hpp"

namespace fs = std::filesystem;

namespace kpg {
namespace {

RunUnit unit(size_t index, bool last, bool ok = true, std::string failure = "") {
  RunUnit u;
  u.index = index;
  u.last = last;
  u.op = "broken";
  u.gpu = "Fake GPU";
  u.shape = "N=65537,dtype=f32";
  u.source = "--params";
  u.record.variant = "tuned";
  u.record.params = {{"BREAK", static_cast<int64_t>(index)}, {"THREADS", 128}};
  u.record.candidate_id = "tuned:BREAK=" + std::to_string(index) + ",THREADS=128";
  u.record.ok = ok;
  u.record.median_ms = ok ? 0.25 : 0;
  u.record.failure = std::move(failure);
  u.gbs = ok ? 100 : 0;
  return u;
}

class RunSupervisor : public ::testing::Test {
 protected:
  // A worker running `body` (sh). "emit start|result N" writes that event of unit N (of
  // `units`) to fd 3; $RESUME is the --resume-from it was started with (0 without).
  // Every start appends its RESUME to `starts_`.
  RunSupervision worker(const std::vector<RunUnit>& units, const std::string& body) {
    const fs::path script = dir_.path() / "worker.sh";
    std::ofstream out(script);
    out << "RESUME=0\nwhile [ $# -gt 0 ]; do [ \"$1\" = --resume-from ] && RESUME=$2; shift; done\n";
    out << "echo $RESUME >> " << starts_.string() << "\n";
    out << "emit() {\n  case $1-$2 in\n";
    for (const auto& u : units)
      for (const char* kind : {"start", "result"})
        out << "    " << kind << "-" << u.index << ") printf '%s\\n' '" << format_event(run_event(kind, u))
            << "' >&3 ;;\n";
    out << "  esac\n}\n" << body << "\n";
    RunSupervision s;
    s.worker_argv = {"/bin/sh", script.string()};
    s.watchdog = std::chrono::milliseconds(500);
    s.repro = "kpg run broken.yaml";
    return s;
  }
  // The --resume-from of every worker started, in order.
  std::vector<std::string> starts() const {
    std::vector<std::string> out;
    std::istringstream in(test::read_text(starts_));
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  }

  test::TempDir dir_;
  fs::path starts_ = dir_.path() / "starts.txt";
};

TEST(RunUnitEvents, RoundTripThroughOneLine) {
  const RunUnit u = unit(3, true, false, "fault: CUDA_ERROR_ILLEGAL_ADDRESS: an illegal memory access");
  const auto parsed = parse_event(format_event(run_event("result", u)));
  ASSERT_TRUE(parsed.has_value());
  const auto back = run_unit_of(*parsed);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->index, 3u);
  EXPECT_TRUE(back->last);
  EXPECT_EQ(back->shape, u.shape);
  EXPECT_EQ(back->gpu, u.gpu);
  EXPECT_EQ(back->source, u.source);
  EXPECT_EQ(back->record, u.record);
  EXPECT_EQ(verdict(*back), "FAULT");
  // A tuning worker's event (no note) is not a unit.
  WorkerEvent tune_event = run_event("start", u);
  tune_event.note.clear();
  EXPECT_FALSE(run_unit_of(*parse_event(format_event(tune_event))).has_value());
}

TEST(RunUnitEvents, TheReportNamesTheUnitTheErrorAndTheCommandThatReproducesIt) {
  const RunUnit u = unit(1, false, false, "fault: CUDA_ERROR_ILLEGAL_ADDRESS: an illegal memory access was encountered");
  EXPECT_EQ(failure_report(u, "kpg run broken.yaml --seed 7"),
            "FAULT tuned tuned:BREAK=1,THREADS=128 at N=65537,dtype=f32: CUDA_ERROR_ILLEGAL_ADDRESS: an illegal "
            "memory access was encountered\n"
            "    reproduce: kpg run broken.yaml --seed 7 --shape N=65537,dtype=f32 --variant tuned --space tuned "
            "--params BREAK=1,THREADS=128\n");
  EXPECT_EQ(verdict(unit(0, false, false, "hang: no result after 30 s")), "HANG");
  EXPECT_EQ(verdict(unit(0, false, false, "wrong result: y: 1 of 8 off")), "WRONG");
  EXPECT_EQ(verdict(unit(0, false, false, "crash: the worker process ended")), "CRASH");
  EXPECT_EQ(verdict(unit(0, false, false, "error: block too large")), "ERROR");
  EXPECT_EQ(verdict(unit(0, false)), "ok");
}

TEST_F(RunSupervisor, AllUnitsPassInOneWorker) {
  const auto s = worker({unit(0, false), unit(1, true)}, "emit start 0; emit result 0; emit start 1; emit result 1");
  std::ostringstream out;
  const RunOutcome o = supervise_run(s, out);
  ASSERT_EQ(o.units.size(), 2u);
  EXPECT_EQ(o.restarts, 0u);
  EXPECT_TRUE(o.first_start.has_value());
  EXPECT_EQ(out.str(), "");
  EXPECT_EQ(summary_line(o.units), "2 unit(s): 2 ok, 0 wrong, 0 fault, 0 hang, 0 crash, 0 error");
  EXPECT_EQ(run_exit_code(o), 0);
  EXPECT_EQ(starts(), (std::vector<std::string>{"0"}));
}

TEST_F(RunSupervisor, AFaultIsReportedAndAFreshWorkerGoesOnWithTheNextUnit) {
  // Unit 1 faults: the worker reports it and exits 1, as a real one does.
  const auto s = worker({unit(0, false), unit(1, false, false, "fault: CUDA_ERROR_MISALIGNED_ADDRESS: misaligned"),
                         unit(2, true)},
                        "if [ $RESUME = 0 ]; then emit start 0; emit result 0; emit start 1; emit result 1; exit 1; fi\n"
                        "emit start 2; emit result 2");
  std::ostringstream out;
  const RunOutcome o = supervise_run(s, out);
  EXPECT_EQ(starts(), (std::vector<std::string>{"0", "2"}));
  ASSERT_EQ(o.units.size(), 3u);
  EXPECT_EQ(verdict(o.units[1]), "FAULT");
  EXPECT_TRUE(o.units[2].record.ok);
  EXPECT_EQ(o.restarts, 1u);
  EXPECT_NE(out.str().find("FAULT tuned tuned:BREAK=1,THREADS=128 at N=65537,dtype=f32: CUDA_ERROR_MISALIGNED_ADDRESS"),
            std::string::npos)
      << out.str();
  EXPECT_NE(out.str().find("    reproduce: kpg run broken.yaml --shape N=65537,dtype=f32 --variant tuned"),
            std::string::npos);
  EXPECT_EQ(summary_line(o.units), "3 unit(s): 2 ok, 0 wrong, 1 fault, 0 hang, 0 crash, 0 error");
  EXPECT_EQ(run_exit_code(o), 1);
}

TEST_F(RunSupervisor, AHangIsKilledAfterTheWatchdogAndTheRunGoesOn) {
  const auto s = worker({unit(0, false), unit(1, true)},
                        "if [ $RESUME = 0 ]; then emit start 0; exec sleep 60; fi\nemit start 1; emit result 1");
  std::ostringstream out;
  const auto t0 = std::chrono::steady_clock::now();
  const RunOutcome o = supervise_run(s, out);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(20));  // the sleep was cut short
  EXPECT_EQ(starts(), (std::vector<std::string>{"0", "1"}));
  ASSERT_EQ(o.units.size(), 2u);
  EXPECT_EQ(verdict(o.units[0]), "HANG");
  EXPECT_NE(out.str().find("HANG tuned tuned:BREAK=0,THREADS=128 at N=65537,dtype=f32: no result after"),
            std::string::npos)
      << out.str();
  EXPECT_EQ(run_exit_code(o), 1);
}

TEST_F(RunSupervisor, ACrashMidUnitIsReportedWithTheSignal) {
  const auto s = worker({unit(0, false), unit(1, true)},
                        "if [ $RESUME = 0 ]; then emit start 0; kill -SEGV $$; fi\nemit start 1; emit result 1");
  std::ostringstream out;
  const RunOutcome o = supervise_run(s, out);
  ASSERT_EQ(o.units.size(), 2u);
  EXPECT_EQ(verdict(o.units[0]), "CRASH");
  EXPECT_NE(o.units[0].record.failure.find("killed by signal 11"), std::string::npos) << o.units[0].record.failure;
  EXPECT_TRUE(o.units[1].record.ok);
}

TEST_F(RunSupervisor, AFaultInTheLastUnitStartsNoFreshWorker) {
  const auto s = worker({unit(0, true, false, "fault: CUDA_ERROR_LAUNCH_FAILED: unspecified launch failure")},
                        "emit start 0; emit result 0; exit 1");
  std::ostringstream out;
  const RunOutcome o = supervise_run(s, out);
  EXPECT_EQ(starts(), (std::vector<std::string>{"0"}));
  EXPECT_EQ(o.restarts, 0u);
  ASSERT_EQ(o.units.size(), 1u);
  EXPECT_EQ(run_exit_code(o), 1);
}

TEST_F(RunSupervisor, AWorkerFailingOnBadInputEndsTheRunWithExitCode2) {
  const auto s = worker({}, "echo 'kpg: error: broken.yaml:3:5: unknown key' >&2; exit 2");
  std::ostringstream out;
  const RunOutcome o = supervise_run(s, out);
  EXPECT_TRUE(o.units.empty());
  ASSERT_TRUE(o.worker_failed.has_value());
  EXPECT_EQ(run_exit_code(o), 2);
  EXPECT_EQ(starts().size(), 1u);
}

TEST_F(RunSupervisor, AWorkerFailingWithoutAGpuEndsTheRunWithExitCode1) {
  const auto s = worker({}, "echo 'kpg: no CUDA driver' >&2; exit 1");
  std::ostringstream out;
  EXPECT_EQ(run_exit_code(supervise_run(s, out)), 1);
}

}  // namespace
}  // namespace kpg
