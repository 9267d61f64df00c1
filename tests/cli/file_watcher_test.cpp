// The watcher alone: which saves it reports, which it ignores, and how it debounces.

#include "cli/watch/file_watcher.hpp"

#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <thread>

#include "cli_test_support.hpp"

namespace kpg {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using test::TempDir;
using test::write_by_rename;
using test::write_in_place;
using test::normal;
using Status = FileWatcher::Status;

// Runs `edit` on another thread after a short pause, so the watcher is already waiting.
std::thread after(std::chrono::milliseconds pause, std::function<void()> edit) {
  return std::thread([pause, edit = std::move(edit)] {
    std::this_thread::sleep_for(pause);
    edit();
  });
}

class FileWatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    kernel_ = write_in_place(dir_.path() / "k.cu", "// v1\n");
    header_ = write_in_place(dir_.path() / "inc" / "h.cuh", "// v1\n");
    other_ = write_in_place(dir_.path() / "notes.txt", "x\n");
    ASSERT_EQ(watcher_.watch({kernel_, header_}).size(), 2u);
  }
  TempDir dir_;
  fs::path kernel_, header_, other_;
  FileWatcher watcher_{50ms};
};

TEST_F(FileWatcherTest, ReportsAFileWrittenInPlace) {
  auto writer = after(50ms, [&] { write_in_place(kernel_, "// v2\n"); });
  const auto r = watcher_.wait(5s);
  writer.join();
  EXPECT_EQ(r.status, Status::changed);
  EXPECT_EQ(r.files, std::set<fs::path>{normal(kernel_)});
  EXPECT_NE(r.first_event, FileWatcher::Clock::time_point{});
}

TEST_F(FileWatcherTest, ReportsAFileRenamedOverLikeAnEditorSaves) {
  auto writer = after(50ms, [&] { write_by_rename(header_, "// v2\n"); });
  const auto r = watcher_.wait(5s);
  writer.join();
  EXPECT_EQ(r.status, Status::changed);
  EXPECT_EQ(r.files, std::set<fs::path>{normal(header_)});  // the temp file is not watched
  EXPECT_EQ(test::read_text(header_), "// v2\n");
}

TEST_F(FileWatcherTest, KeepsReportingAfterARenameReplacedTheInode) {
  // A watch on the file itself would die with the old inode; the folder watch does not.
  for (int i = 0; i < 3; ++i) {
    auto writer = after(30ms, [&, i] { write_by_rename(kernel_, "// v" + std::to_string(i) + "\n"); });
    const auto r = watcher_.wait(5s);
    writer.join();
    ASSERT_EQ(r.status, Status::changed) << "save " << i;
    EXPECT_EQ(r.files, std::set<fs::path>{normal(kernel_)});
  }
}

TEST_F(FileWatcherTest, ReportsADeleteAndRecreate) {
  auto writer = after(30ms, [&] {
    fs::remove(kernel_);
    write_in_place(kernel_, "// new\n");
  });
  const auto r = watcher_.wait(5s);
  writer.join();
  EXPECT_EQ(r.status, Status::changed);
  EXPECT_EQ(r.files, std::set<fs::path>{normal(kernel_)});
}

TEST_F(FileWatcherTest, IgnoresOtherFilesInTheWatchedFolders) {
  auto writer = after(20ms, [&] {
    write_in_place(other_, "y\n");
    write_in_place(dir_.path() / "k.cu~", "backup\n");
    write_in_place(dir_.path() / "inc" / "other.cuh", "// unrelated\n");
  });
  const auto r = watcher_.wait(400ms);
  writer.join();
  EXPECT_EQ(r.status, Status::timed_out);
  EXPECT_TRUE(r.files.empty());
}

TEST_F(FileWatcherTest, DebouncesABurstIntoOneChange) {
  // Ten writes 10 ms apart (inside the 50 ms debounce), over both files: one result.
  auto writer = after(30ms, [&] {
    for (int i = 0; i < 10; ++i) {
      write_in_place(i % 2 ? kernel_ : header_, "// burst " + std::to_string(i) + "\n");
      std::this_thread::sleep_for(10ms);
    }
  });
  const auto t0 = FileWatcher::Clock::now();
  const auto r = watcher_.wait(5s);
  const auto returned = FileWatcher::Clock::now();
  writer.join();
  EXPECT_EQ(r.status, Status::changed);
  EXPECT_EQ(r.files, (std::set<fs::path>{normal(kernel_), normal(header_)}));
  // It waited for the burst to end (nine pauses of 10 ms after the first save) plus the
  // 50 ms of quiet: at least 140 ms after the first save (less a little scheduling slack).
  EXPECT_GE(returned - t0, 130ms);
  EXPECT_GE(returned - r.first_event, 120ms);
  // Nothing of the burst is left over for the next wait.
  EXPECT_EQ(watcher_.wait(200ms).status, Status::timed_out);
}

TEST_F(FileWatcherTest, SeparateSavesAreSeparateChanges) {
  auto writer = after(20ms, [&] { write_in_place(kernel_, "// a\n"); });
  const auto first = watcher_.wait(5s);
  writer.join();
  writer = after(20ms, [&] { write_in_place(header_, "// b\n"); });
  const auto second = watcher_.wait(5s);
  writer.join();
  EXPECT_EQ(first.files, std::set<fs::path>{normal(kernel_)});
  EXPECT_EQ(second.files, std::set<fs::path>{normal(header_)});
}

TEST_F(FileWatcherTest, ReturnsInterruptedWhenTheInterruptFdIsReadable) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  auto writer = after(50ms, [&] { ASSERT_EQ(::write(fds[1], "x", 1), 1); });
  const auto r = watcher_.wait(5s, fds[0]);
  writer.join();
  EXPECT_EQ(r.status, Status::interrupted);
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST_F(FileWatcherTest, WatchReplacesTheSet) {
  watcher_.watch({other_});
  EXPECT_EQ(watcher_.files(), std::set<fs::path>{normal(other_)});
  auto writer = after(20ms, [&] {
    write_in_place(header_, "// no longer watched\n");
    std::this_thread::sleep_for(20ms);
    write_in_place(other_, "z\n");
  });
  const auto r = watcher_.wait(5s);
  writer.join();
  EXPECT_EQ(r.files, std::set<fs::path>{normal(other_)});
}

TEST_F(FileWatcherTest, WatchesAFileThatDoesNotExistYet) {
  const fs::path later = dir_.path() / "later.cuh";
  watcher_.watch({kernel_, later});
  auto writer = after(20ms, [&] { write_in_place(later, "// created\n"); });
  const auto r = watcher_.wait(5s);
  writer.join();
  EXPECT_EQ(r.files, std::set<fs::path>{normal(later)});
}

TEST_F(FileWatcherTest, SkipsAFileWhoseFolderIsMissing) {
  const auto watched = watcher_.watch({kernel_, dir_.path() / "no-such-folder" / "x.cu"});
  EXPECT_EQ(watched, std::vector<fs::path>{normal(kernel_)});
}

}  // namespace
}  // namespace kpg
