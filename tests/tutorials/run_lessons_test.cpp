// `kpg tutorial all` without a GPU: lessons stood in for by functions that add a report
// section and return a status, to see the progress lines, the total, the combined report
// and the worst status, also when a lesson throws.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>

#include "tutorials/tutorial.hpp"

namespace kpg {
namespace {

namespace fs = std::filesystem;

class RunLessonsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("kpg-run-lessons-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    options_.results_dir = dir_;
  }
  void TearDown() override { fs::remove_all(dir_); }

  // A lesson that writes its section and returns `status`.
  static Lesson lesson(const std::string& name, int status) {
    return {name, [name, status](const TutorialOptions& o) {
              o.report_sections->push_back({name + " section", "", {}, {}, ""});
              report::ResultsDir(*o.results_dir).write("done.txt", name);
              return status;
            }};
  }
  std::string report() const {
    std::ifstream in(dir_ / "report.html");
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }

  fs::path dir_;
  TutorialOptions options_;
};

TEST_F(RunLessonsTest, ProgressLinePerLessonTotalAndWorstStatus) {
  std::ostringstream out;
  const int status = run_lessons(options_, {lesson("first", 0), lesson("second", 1), lesson("third", 0)}, out);
  EXPECT_EQ(status, 1);
  const std::string text = out.str();
  for (const char* line :
       {R"(=== lesson 1 of 3: first \(started at 0:\d\d elapsed\))", R"(=== lesson 2 of 3: second done in 0:\d\d \(0:\d\d elapsed\))",
        R"(=== lesson 3 of 3: third done in)", R"(3 lessons in 0:\d\d \(min:s\))"})
    EXPECT_TRUE(std::regex_search(text, std::regex(line))) << line << " in\n" << text;
  EXPECT_LT(text.find("lesson 1 of 3: first done"), text.find("lesson 2 of 3: second (started"));
  for (const char* name : {"first", "second", "third"}) {
    EXPECT_TRUE(fs::exists(dir_ / name / "done.txt")) << name;
    EXPECT_NE(report().find(std::string(name) + " section"), std::string::npos) << name;
  }
}

TEST_F(RunLessonsTest, ALessonThatThrowsKeepsWhatTheOthersMeasured) {
  std::ostringstream out;
  const Lesson broken{"broken", [](const TutorialOptions&) -> int { throw std::runtime_error("no GPU"); }};
  EXPECT_THROW(run_lessons(options_, {lesson("first", 0), broken, lesson("never", 0)}, out), std::runtime_error);
  EXPECT_NE(report().find("first section"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir_ / "never"));
  EXPECT_EQ(out.str().find("lessons in"), std::string::npos);
}

}  // namespace
}  // namespace kpg
