// The supervisor of tuning workers, driven by fake workers: shell scripts that write the
// event lines a real worker writes on fd 3, then end, crash or hang the way broken
// kernels make a real worker end, crash or hang.

#include "tuner/worker_supervisor.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "runtime/error.hpp"

namespace fs = std::filesystem;

namespace kpg {
namespace {

WorkerEvent event(const std::string& kind, const std::string& candidate, bool ok = true, std::string failure = "") {
  WorkerEvent e;
  e.kind = kind;
  e.key.op = "fake";
  e.key.variant = "fused";
  e.key.shape_key = "N=781,dtype=f32";
  e.record.candidate_id = candidate;
  e.record.variant = "fused";
  e.record.params = {{"THREADS", 128}};
  e.record.ok = ok;
  e.record.median_ms = ok ? 0.5 : 0;
  e.record.failure = std::move(failure);
  return e;
}

class WorkerSupervisor : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("kpg-supervisor-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // A worker running `body` (sh); "$EMIT <n>" writes the n-th of `events` to fd 3, and
  // "$FIRST" is true only in the first run of the worker (later runs are restarts).
  WorkerSpec worker(const std::string& name, const std::vector<WorkerEvent>& events, const std::string& body) {
    const fs::path script = dir_ / (name + ".sh");
    std::ofstream out(script);
    out << "emit() {\n  case $1 in\n";
    for (size_t i = 0; i < events.size(); ++i) out << "    " << i << ") printf '%s\\n' '" << format_event(events[i]) << "' >&3 ;;\n";
    out << "  esac\n}\n";
    out << "runs=" << (dir_ / (name + ".runs")).string() << "\n";
    out << "if [ -f $runs ]; then FIRST=false; else FIRST=true; fi\ntouch $runs\n";
    out << body << "\n";
    return {name, {"/bin/sh", script.string()}};
  }

  struct Seen {
    std::vector<std::string> events, lost, restarts;
  };
  SupervisorHooks hooks(Seen& seen) {
    SupervisorHooks h;
    h.on_event = [&seen](size_t w, const WorkerEvent& e) {
      seen.events.push_back(std::to_string(w) + ":" + e.kind + ":" + e.record.candidate_id);
    };
    h.on_lost = [&seen](size_t w, const WorkerEvent& e, const std::string& why) {
      seen.lost.push_back(std::to_string(w) + ":" + e.record.candidate_id + ":" + why);
    };
    h.on_restart = [&seen](size_t w, const std::string& why) { seen.restarts.push_back(std::to_string(w) + ":" + why); };
    return h;
  }

  fs::path dir_;
};

TEST(WorkerEvents, RoundTripThroughOneLine) {
  const WorkerEvent e = event("result", "block:THREADS=128", false, "fault: an illegal memory access\twas met");
  const std::string line = format_event(e);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  const auto back = parse_event(line);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->kind, "result");
  EXPECT_EQ(back->key, e.key);
  EXPECT_EQ(back->record, e.record);
  EXPECT_FALSE(parse_event("progress 3/4").has_value());
  EXPECT_FALSE(parse_event("start\t{not json}\t{}").has_value());
}

TEST(WorkerEvents, ANoteRidesAlongAsAFourthField) {
  WorkerEvent e = event("start", "a");
  e.note = "{\"unit\": 3}\twith a tab";
  const auto back = parse_event(format_event(e));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->record, e.record);
  EXPECT_EQ(back->note, "{\"unit\": 3} with a tab");  // kept on one field
  EXPECT_EQ(parse_event(format_event(event("start", "a")))->note, "");
}

TEST_F(WorkerSupervisor, ARestartedWorkerGetsTheCommandLineTheHookGives) {
  Seen seen;
  // The restart is told (as its first argument) to go on with b.
  const auto w = worker("resume", {event("start", "a"), event("start", "b"), event("result", "b")},
                        "if [ \"$1\" = b ]; then emit 1; emit 2; exit 0; fi; emit 0; kill -KILL $$");
  SupervisorHooks h = hooks(seen);
  h.restart_argv = [&](size_t) {
    auto argv = w.argv;
    argv.push_back("b");
    return argv;
  };
  const SupervisorReport report = supervise({w}, {}, h);
  EXPECT_EQ(report.restarts, 1u);
  EXPECT_EQ(seen.events.back(), "0:result:b");
  // An empty command line: nothing is left to do, so no restart.
  Seen none;
  SupervisorHooks done = hooks(none);
  done.restart_argv = [](size_t) { return std::vector<std::string>{}; };
  const auto again = worker("resume2", {event("start", "a")}, "emit 0; kill -KILL $$");
  EXPECT_EQ(supervise({again}, {}, done).restarts, 0u);
  EXPECT_EQ(none.lost.size(), 1u);
}

TEST_F(WorkerSupervisor, AWorkerThatFinishesIsNotRestarted) {
  Seen seen;
  const auto w = worker("ok", {event("start", "a"), event("result", "a")}, "emit 0; emit 1; exit 0");
  const SupervisorReport report = supervise({w}, {}, hooks(seen));
  EXPECT_EQ(seen.events, (std::vector<std::string>{"0:start:a", "0:result:a"}));
  EXPECT_EQ(report.restarts, 0u);
  EXPECT_TRUE(seen.lost.empty());
}

TEST_F(WorkerSupervisor, AHangIsKilledRecordedAndTheWorkerRestarted) {
  Seen seen;
  // First run: candidate a hangs. The restart (which skips a, recorded) times b.
  const auto w = worker("hang", {event("start", "a"), event("start", "b"), event("result", "b")},
                        "if $FIRST; then emit 0; exec sleep 60; else emit 1; emit 2; fi; exit 0");
  SupervisorOptions options;
  options.watchdog = std::chrono::milliseconds(300);
  const auto t0 = std::chrono::steady_clock::now();
  const SupervisorReport report = supervise({w}, options, hooks(seen));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(20));  // the sleep was cut short
  ASSERT_EQ(seen.lost.size(), 1u);
  EXPECT_EQ(seen.lost[0].rfind("0:a:hang: no result after", 0), 0u) << seen.lost[0];
  EXPECT_EQ(report.restarts, 1u);
  EXPECT_EQ(seen.events.back(), "0:result:b");
}

TEST_F(WorkerSupervisor, ACrashWhileACandidateRunsIsRecordedAndTheWorkerRestarted) {
  Seen seen;
  const auto w = worker("crash", {event("start", "a"), event("start", "b"), event("result", "b")},
                        "if $FIRST; then emit 0; kill -SEGV $$; else emit 1; emit 2; fi; exit 0");
  const SupervisorReport report = supervise({w}, {}, hooks(seen));
  ASSERT_EQ(seen.lost.size(), 1u);
  EXPECT_NE(seen.lost[0].find("0:a:crash: the worker process ended (killed by signal 11"), std::string::npos)
      << seen.lost[0];
  EXPECT_EQ(report.restarts, 1u);
  EXPECT_EQ(seen.events.back(), "0:result:b");
}

TEST_F(WorkerSupervisor, AFaultTheWorkerRecordedItselfRestartsWithoutALostCandidate) {
  Seen seen;
  const auto w = worker("fault",
                        {event("start", "a"), event("result", "a", false, "fault: CUDA_ERROR_ILLEGAL_ADDRESS"),
                         event("start", "b"), event("result", "b")},
                        "if $FIRST; then emit 0; emit 1; exit 1; else emit 2; emit 3; fi; exit 0");
  const SupervisorReport report = supervise({w}, {}, hooks(seen));
  EXPECT_TRUE(seen.lost.empty());
  EXPECT_EQ(report.restarts, 1u);
  ASSERT_EQ(seen.restarts.size(), 1u);
  EXPECT_EQ(seen.restarts[0], "0:fault in a");
  EXPECT_EQ(seen.events.back(), "0:result:b");
}

TEST_F(WorkerSupervisor, AWorkerFailingBeforeAnyCandidateEndsTheRunWithItsStatus) {
  Seen seen;
  const auto w = worker("bad", {}, "echo 'kpg: error: configs/x.yaml:3:5: unknown key' >&2; exit 2");
  try {
    supervise({w}, {}, hooks(seen));
    FAIL() << "expected an Error";
  } catch (const WorkerFailed& e) {
    EXPECT_NE(std::string(e.what()).find("bad failed (exit code 2)"), std::string::npos) << e.what();
    EXPECT_EQ(e.exit_code(), 2);
  }
  EXPECT_TRUE(seen.restarts.empty());
}

TEST_F(WorkerSupervisor, OneHangingWorkerDoesNotHoldUpTheOther) {
  Seen seen;
  const auto slow = worker("slow", {event("start", "a"), event("start", "c"), event("result", "c")},
                           "if $FIRST; then emit 0; exec sleep 60; else emit 1; emit 2; fi; exit 0");
  const auto fast = worker("fast", {event("start", "b"), event("result", "b")}, "emit 0; emit 1; exit 0");
  SupervisorOptions options;
  options.watchdog = std::chrono::milliseconds(500);
  supervise({slow, fast}, options, hooks(seen));
  // The fast worker's result arrived while the slow one hung, before the restart's results.
  const auto at = [&](const std::string& s) { return std::find(seen.events.begin(), seen.events.end(), s); };
  ASSERT_NE(at("1:result:b"), seen.events.end());
  ASSERT_NE(at("0:result:c"), seen.events.end());
  EXPECT_LT(at("1:result:b"), at("0:result:c"));
  EXPECT_EQ(seen.lost.size(), 1u);
}

TEST_F(WorkerSupervisor, AMissingProgramIsAClearError) {
  Seen seen;
  EXPECT_THROW(supervise({{"gone", {"/nonexistent/kpg"}}}, {}, hooks(seen)), Error);
}

}  // namespace
}  // namespace kpg

namespace kpg {
namespace {

// The reference kernel runs before any candidate; a worker whose reference never ends
// must not hang the run: it is held to the same watchdog, and since no candidate can be
// checked without it, the run ends (no restart, which would hang the same way).
TEST_F(WorkerSupervisor, AHangingReferenceKernelIsKilledAndEndsTheRunWithoutARestart) {
  Seen seen;
  const auto w = worker("refhang", {event("reference", "plain")}, "emit 0; exec sleep 60");
  SupervisorOptions options;
  options.watchdog = std::chrono::milliseconds(300);
  const auto t0 = std::chrono::steady_clock::now();
  try {
    supervise({w}, options, hooks(seen));
    FAIL() << "expected ReferenceLost";
  } catch (const ReferenceLost& e) {
    EXPECT_NE(std::string(e.what()).find("refhang: the reference kernel (variant 'fused', plain) hung: no result "
                                         "after 0.3 s (the worker was killed)"),
              std::string::npos)
        << e.what();
    EXPECT_EQ(e.exit_code(), 1);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(20));  // the sleep was cut short
  EXPECT_TRUE(seen.restarts.empty());
  EXPECT_TRUE(seen.lost.empty()) << "the reference is no candidate: nothing is recorded as one";
}

TEST_F(WorkerSupervisor, AReferenceKernelThatEndsItsWorkerEndsTheRun) {
  Seen seen;
  const auto w = worker("reffault", {event("reference", "plain")}, "emit 0; exit 1");
  try {
    supervise({w}, {}, hooks(seen));
    FAIL() << "expected ReferenceLost";
  } catch (const ReferenceLost& e) {
    EXPECT_NE(std::string(e.what()).find("ended its worker process (exit code 1)"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(seen.restarts.empty());
}

TEST_F(WorkerSupervisor, AReferenceThatFinishesLetsTheCandidatesRun) {
  Seen seen;
  const auto w = worker("refok",
                        {event("reference", "plain"), event("reference-done", "plain"), event("start", "a"),
                         event("result", "a")},
                        "emit 0; sleep 0.5; emit 1; emit 2; emit 3; exit 0");
  SupervisorOptions options;
  options.watchdog = std::chrono::seconds(5);
  const SupervisorReport report = supervise({w}, options, hooks(seen));
  EXPECT_EQ(report.restarts, 0u);
  EXPECT_EQ(seen.events.back(), "0:result:a");
  EXPECT_TRUE(parse_event(format_event(event("reference-done", "plain"))).has_value());
}

}  // namespace
}  // namespace kpg
