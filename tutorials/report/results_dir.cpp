#include "tutorials/report/results_dir.hpp"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <fstream>

#include "runtime/error.hpp"

namespace kpg::report {
namespace fs = std::filesystem;

namespace {

// Unique within this process and across processes writing the same folder.
fs::path temp_path_for(const fs::path& target) {
  static std::atomic<unsigned> counter{0};
  return target.parent_path() /
         ("." + target.filename().string() + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
}

}  // namespace

ResultsDir::ResultsDir(fs::path dir) : dir_(std::move(dir)) {}

void ResultsDir::write(const std::string& name, const std::string& content) const {
  const fs::path relative = fs::path(name).lexically_normal();
  if (name.empty() || relative.is_absolute() || relative.begin()->string() == ".." || !relative.has_filename())
    throw Error("results file name '" + name + "' must be a relative path inside " + dir_.string());
  const fs::path target = dir_ / relative;

  std::error_code ec;
  fs::create_directories(target.parent_path(), ec);
  if (ec) throw Error("cannot create results folder " + target.parent_path().string() + ": " + ec.message());

  const fs::path temp = temp_path_for(target);
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    if (!out) throw Error("cannot write " + target.string() + ": " + std::strerror(errno));
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.close();
    if (!out) {
      const std::string why = std::strerror(errno);
      fs::remove(temp, ec);
      throw Error("cannot write " + target.string() + ": " + why);
    }
  }
  fs::rename(temp, target, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove(temp, ignored);
    throw Error("cannot write " + target.string() + ": " + ec.message());
  }
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
