#include "report/results_dir.hpp"

#include <chrono>
#include <ctime>

#include "runtime/error.hpp"
#include "runtime/output_file.hpp"

namespace kpg::report {
namespace fs = std::filesystem;

ResultsDir::ResultsDir(fs::path dir) : dir_(std::move(dir)) {}

void ResultsDir::write(const std::string& name, const std::string& content) const {
  const fs::path relative = fs::path(name).lexically_normal();
  if (name.empty() || relative.is_absolute() || relative.begin()->string() == ".." || !relative.has_filename())
    throw Error("results file name '" + name + "' must be a relative path inside " + dir_.string());
  const fs::path target = dir_ / relative;
  make_output_dir(target.parent_path());
  write_output_file(target, content);
}

fs::path default_results_dir(const std::string& tutorial) {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm local{};
  localtime_r(&now, &local);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &local);
  return fs::current_path() / "results" / (tutorial + "-" + stamp);
}

}  // namespace kpg::report
