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

CandidateCompiler::CandidateCompiler(const Compiler& compiler, const OpConfig& config, const Shape& shape,
                                     const DeviceLimits& limits, std::string device_arch,
                                     std::filesystem::path kernels_dir)
    : compiler_(compiler),
      config_(config),
      shape_(shape),
      limits_(limits),
      device_arch_(std::move(device_arch)),
      kernels_dir_(std::move(kernels_dir)) {}

const std::filesystem::path& CandidateCompiler::source(const Candidate& c) const {
  return config_.space_of(c.variant, c.space_index).source;
}

CompileOptions candidate_compile_options(const OpConfig& config, const Candidate& c, const Shape& shape,
                                         const DeviceLimits& limits, const std::string& device_arch,
                                         const std::filesystem::path& kernels_dir) {
  const SpaceSpec& space = config.space_of(c.variant, c.space_index);
  CompileOptions o;
  o.arch = space.arch.empty() ? device_arch : space.arch;
  o.defines = compile_defines(config, c, shape, limits);
  o.include_dirs = {kernels_dir, space.source.parent_path()};
  return o;
}

CompileOptions CandidateCompiler::options(const Candidate& c) const {
  return candidate_compile_options(config_, c, shape_, limits_, device_arch_, kernels_dir_);
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
