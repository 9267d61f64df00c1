// Files kpg writes where a user points it, and files it reads that a user names: regular
// files only, replaced whole, every failure naming the path and the reason.
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <set>

#include "runtime/error.hpp"
#include "runtime/input_file.hpp"
#include "runtime/output_file.hpp"
#include "test_support.hpp"

namespace kpg {
namespace {

namespace fs = std::filesystem;

// The message of the InputError `f` throws, or "" (a failure) when it throws none.
template <class F>
std::string input_error(F&& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no InputError";
  return "";
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// Nothing but `names` in the folder: no temp file left behind.
void expect_only(const fs::path& dir, std::set<std::string> names) {
  std::set<std::string> found;
  for (const auto& e : fs::directory_iterator(dir)) found.insert(e.path().filename().string());
  EXPECT_EQ(found, names);
}

class OutputFileTest : public ::testing::Test {
 protected:
  testing::TempDir dir_;
};

TEST_F(OutputFileTest, WritesANewFileAndReplacesAnOldOneWhole) {
  const fs::path file = dir_.path() / "out.bin";
  write_output_file(file, std::string("a\0b", 3));
  EXPECT_EQ(testing::read_text(file), std::string("a\0b", 3));
  ::chmod(file.c_str(), 0640);
  write_output_file(file, "second");
  EXPECT_EQ(testing::read_text(file), "second");
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u) << "the replaced file keeps its permissions";
  expect_only(dir_.path(), {"out.bin"});
}

TEST_F(OutputFileTest, RefusesAFifoAFolderAndADeviceAndLeavesThemAsTheyWere) {
  const fs::path fifo = dir_.path() / "pipe";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  EXPECT_TRUE(has(input_error([&] { write_output_file(fifo, "x"); }), "it is a FIFO (named pipe); kpg writes regular files only"));
  EXPECT_TRUE(fs::is_fifo(fifo));
  const fs::path folder = dir_.path() / "folder";
  fs::create_directory(folder);
  EXPECT_TRUE(has(input_error([&] { write_output_file(folder, "x"); }), "it is a folder"));
  EXPECT_TRUE(fs::is_directory(folder));
  EXPECT_TRUE(has(input_error([&] { check_output_file("/dev/null"); }), "it is a character device"));
  expect_only(dir_.path(), {"pipe", "folder"});
}

TEST_F(OutputFileTest, FollowsASymlinkToAFileAndRefusesADanglingOne) {
  const fs::path target = dir_.write("target.txt", "old");
  const fs::path link = dir_.path() / "link.txt";
  fs::create_symlink(target, link);
  write_output_file(link, "new");
  EXPECT_TRUE(fs::is_symlink(link)) << "the link is not replaced";
  EXPECT_EQ(testing::read_text(target), "new");

  const fs::path dangling = dir_.path() / "dangling";
  fs::create_symlink(dir_.path() / "missing" / "file", dangling);
  EXPECT_TRUE(has(input_error([&] { write_output_file(dangling, "x"); }), "does not exist; kpg does not replace a symlink"));
  EXPECT_TRUE(fs::is_symlink(dangling));
  const fs::path to_fifo = dir_.path() / "to_fifo";
  ASSERT_EQ(::mkfifo((dir_.path() / "fifo").c_str(), 0644), 0);
  fs::create_symlink(dir_.path() / "fifo", to_fifo);
  EXPECT_TRUE(has(input_error([&] { write_output_file(to_fifo, "x"); }), "FIFO"));
  EXPECT_TRUE(fs::is_fifo(dir_.path() / "fifo"));
}

TEST_F(OutputFileTest, AMissingFolderIsNamed) {
  const fs::path file = dir_.path() / "no" / "such" / "out.txt";
  EXPECT_TRUE(has(input_error([&] { write_output_file(file, "x"); }), "folder " + (dir_.path() / "no" / "such").string() + " does not exist"));
  EXPECT_NO_THROW(check_output_file(file, /*create_folders=*/true));
  const fs::path blocker = dir_.write("blocker", "a file");
  EXPECT_TRUE(has(input_error([&] { check_output_file(blocker / "out.txt", true); }), blocker.string() + " is a file, not a folder"));
}

TEST_F(OutputFileTest, AReadOnlyFileIsNotReplaced) {
  if (::geteuid() == 0) GTEST_SKIP() << "root may write any file";
  const fs::path file = dir_.write("ro.txt", "keep");
  ::chmod(file.c_str(), 0444);
  EXPECT_TRUE(has(input_error([&] { write_output_file(file, "x"); }), "not writable"));
  EXPECT_EQ(testing::read_text(file), "keep");
}

TEST_F(OutputFileTest, OutputFoldersAreCheckedWithoutCreatingAnything) {
  EXPECT_NO_THROW(check_output_dir(dir_.path() / "a" / "b"));
  EXPECT_FALSE(fs::exists(dir_.path() / "a"));
  const fs::path blocker = dir_.write("file", "x");
  EXPECT_TRUE(has(input_error([&] { check_output_dir(blocker / "sub"); }), blocker.string() + " is a file, not a folder"));
  make_output_dir(dir_.path() / "a" / "b");
  EXPECT_TRUE(fs::is_directory(dir_.path() / "a" / "b"));
}

TEST_F(OutputFileTest, InputFilesSayWhatIsWrongWithThem) {
  const fs::path folder = dir_.path() / "kernel.cu";
  fs::create_directory(folder);
  EXPECT_TRUE(has(input_error([&] { read_input_file(folder, "kernel source"); }),
                  "cannot read kernel source " + folder.string() + ": it is a folder, not a file"));
  EXPECT_TRUE(has(input_error([&] { read_input_file(dir_.path() / "none.cu", "kernel source"); }), "No such file or directory"));
  const fs::path fifo = dir_.path() / "fifo.cu";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  EXPECT_TRUE(has(input_error([&] { read_input_file(fifo, "kernel source"); }), "FIFO")) << "and it did not block";
  EXPECT_EQ(read_input_file(dir_.write("ok.cu", "text"), "kernel source"), "text");
  EXPECT_EQ(unreadable_reason(dir_.path() / "ok.cu"), "");
}

}  // namespace
}  // namespace kpg
