#include "tuner/compile_pool.hpp"

#include <algorithm>
#include <sstream>

#include "runtime/error.hpp"

namespace kpg {

std::string first_error_line(const std::string& log) {
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);)
    if (line.find("error") != std::string::npos) return line;
  return log.substr(0, log.find('\n'));
}

CompileOutcome compile_outcome(const Compiler& compiler, const std::filesystem::path& source,
                               const CompileOptions& options) {
  CompileOutcome out;
  try {
    out.kernel = compiler.compile_file(source, options);
  } catch (const CompileError& e) {
    out.error = "compile error: " + first_error_line(e.log());
  }
  return out;
}

CompilePool::CompilePool(size_t count, unsigned jobs, std::function<CompileOutcome(size_t)> compile)
    : compile_(std::move(compile)), promises_(count) {
  for (auto& p : promises_) futures_.push_back(p.get_future());
  const unsigned n = std::max(1u, std::min<unsigned>(jobs, static_cast<unsigned>(count)));
  for (unsigned i = 0; i < n && count > 0; ++i) workers_.emplace_back([this] { work(); });
}

CompilePool::~CompilePool() {
  stop_ = true;
  for (auto& w : workers_) w.join();
}

CompileOutcome CompilePool::take(size_t k) { return futures_.at(k).get(); }

void CompilePool::work() {
  for (size_t i; !stop_ && (i = next_++) < promises_.size();) {
    try {
      promises_[i].set_value(compile_(i));
    } catch (...) {
      promises_[i].set_exception(std::current_exception());
    }
    ++finished_;
  }
}

}  // namespace kpg
