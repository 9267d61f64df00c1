// write_file_atomic: the target appears whole or not at all, and a failed write leaves no
// temp file behind and names the path it was writing.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <set>

#include "runtime/atomic_write.hpp"
#include "test_support.hpp"

namespace kpg {
namespace {

namespace fs = std::filesystem;

std::set<std::string> names_in(const fs::path& dir) {
  std::set<std::string> found;
  for (const auto& e : fs::directory_iterator(dir)) found.insert(e.path().filename().string());
  return found;
}

mode_t permissions_of(const fs::path& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

// The AtomicWriteError `f` throws (a failure when it throws none).
template <class F>
AtomicWriteError write_error(F&& f) {
  try {
    f();
  } catch (const AtomicWriteError& e) {
    return e;
  }
  ADD_FAILURE() << "no AtomicWriteError";
  return AtomicWriteError("", "");
}

class AtomicWriteTest : public ::testing::Test {
 protected:
  testing::TempDir dir_;
  const fs::path target_ = dir_.path() / "out.bin";
};

TEST_F(AtomicWriteTest, TheTargetAppearsWholeAndAnOldOneIsReplaced) {
  const std::string first("a\0b\n", 4);
  write_file_atomic(target_, first);
  EXPECT_EQ(testing::read_text(target_), first);
  write_file_atomic(target_, "shorter");
  EXPECT_EQ(testing::read_text(target_), "shorter");
  EXPECT_EQ(names_in(dir_.path()), std::set<std::string>{"out.bin"});
}

TEST_F(AtomicWriteTest, ANewFileGetsTheModeLessTheUmaskAnOldOneKeepsItsOwn) {
  const mode_t umask = ::umask(022);
  write_file_atomic(target_, "new", FileMode{0666, false});
  EXPECT_EQ(permissions_of(target_), 0644u);
  ::chmod(target_.c_str(), 0662);  // bits the umask would clear
  write_file_atomic(target_, "kept", FileMode{0666, true});
  EXPECT_EQ(permissions_of(target_), 0662u);
  write_file_atomic(target_, "not kept", FileMode{0600, false});
  EXPECT_EQ(permissions_of(target_), 0600u);
  ::umask(umask);
}

TEST_F(AtomicWriteTest, AFolderAtTheTargetThrowsNamingThePathAndLeavesNoTempFile) {
  fs::create_directories(target_ / "inside");
  const AtomicWriteError e = write_error([&] { write_file_atomic(target_, "x"); });
  EXPECT_EQ(e.path(), target_);
  EXPECT_EQ(e.reason(), "Is a directory");
  EXPECT_EQ(std::string(e.what()), "cannot write " + target_.string() + ": Is a directory");
  EXPECT_EQ(names_in(dir_.path()), std::set<std::string>{"out.bin"});
  EXPECT_EQ(names_in(target_), std::set<std::string>{"inside"});
}

TEST_F(AtomicWriteTest, AMissingFolderThrowsNamingThePath) {
  const fs::path path = dir_.path() / "no" / "such" / "out.bin";
  const AtomicWriteError e = write_error([&] { write_file_atomic(path, "x"); });
  EXPECT_EQ(std::string(e.what()), "cannot write " + path.string() + ": No such file or directory");
  EXPECT_TRUE(names_in(dir_.path()).empty());
}

TEST_F(AtomicWriteTest, AReadOnlyFolderThrowsAndGetsNoTempFile) {
  if (::geteuid() == 0) GTEST_SKIP() << "root writes into read-only folders";
  testing::write_file(target_, "old");
  ::chmod(dir_.path().c_str(), 0555);
  const AtomicWriteError e = write_error([&] { write_file_atomic(target_, "new"); });
  ::chmod(dir_.path().c_str(), 0755);
  EXPECT_EQ(std::string(e.what()), "cannot write " + target_.string() + ": Permission denied");
  EXPECT_EQ(names_in(dir_.path()), std::set<std::string>{"out.bin"});
  EXPECT_EQ(testing::read_text(target_), "old");
}

TEST_F(AtomicWriteTest, AWriteThatFailsMidwayRemovesItsTempFileAndKeepsTheOldTarget) {
  testing::write_file(target_, "old");
  const int status = testing::run_with_file_size_limit(16, /*die=*/false, [&] {
    try {
      write_file_atomic(target_, std::string(4096, 'x'));
    } catch (const AtomicWriteError& e) {
      return std::string(e.what()) == "cannot write " + target_.string() + ": File too large";
    }
    return false;
  });
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the child saw no EFBIG failure naming the path";
  EXPECT_EQ(names_in(dir_.path()), std::set<std::string>{"out.bin"});
  EXPECT_EQ(testing::read_text(target_), "old");
}

TEST_F(AtomicWriteTest, AKilledWritersTempFileCarriesTheCallersPrefixAndSuffix) {
  testing::write_file(target_, "old");
  const int status = testing::run_with_file_size_limit(16, /*die=*/true, [&] {
    write_file_atomic(target_, std::string(4096, 'x'), FileMode{}, TempName{".entry.", ".tmp"});
    return true;
  });
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGXFSZ);
  std::set<std::string> names = names_in(dir_.path());
  EXPECT_EQ(names.erase("out.bin"), 1u);
  ASSERT_EQ(names.size(), 1u);
  const std::string temp = *names.begin();
  EXPECT_TRUE(temp.starts_with(".entry.") && temp.ends_with(".tmp")) << temp;
  EXPECT_EQ(testing::read_text(target_), "old");
}

TEST_F(AtomicWriteTest, ConcurrentWritersEachLeaveAWholeFile) {
  std::vector<pid_t> children;
  for (int i = 0; i < 4; ++i) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      for (int n = 0; n < 50; ++n) write_file_atomic(target_, std::string(1000 + i, static_cast<char>('a' + i)));
      ::_exit(0);
    }
    children.push_back(pid);
  }
  for (const pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  const std::string text = testing::read_text(target_);
  ASSERT_FALSE(text.empty());
  const int i = text[0] - 'a';
  EXPECT_EQ(text, std::string(1000 + i, text[0]));
  EXPECT_EQ(names_in(dir_.path()), std::set<std::string>{"out.bin"});
}

}  // namespace
}  // namespace kpg
