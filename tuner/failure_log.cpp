#include "tuner/failure_log.hpp"

#include <spdlog/spdlog.h>

#include <fstream>

namespace kpg {

std::filesystem::path failure_dir(const TuningCache& cache, const CacheKey& key) {
  return cache.dir() / "failed" / (key.op + "-" + key.source_hash.substr(0, 16));
}

std::string describe_options(const CompileOptions& options) {
  std::string out = "--gpu-architecture=" + options.arch;
  for (const auto& [k, v] : options.defines) out += " -D" + k + (v.empty() ? "" : "=" + v);
  for (const auto& e : options.extra) out += " " + e;
  return out;
}

void keep_failure(TuningCache& cache, const CacheKey& key, const TuneRecord& record,
                  const std::filesystem::path& source, const CompileOptions* options) {
  const auto dir = failure_dir(cache, key);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  const auto copy = dir / source.filename();
  if (!ec && !std::filesystem::exists(copy, ec))
    std::filesystem::copy_file(source, copy, std::filesystem::copy_options::skip_existing, ec);
  std::ofstream log(dir / "failures.txt", std::ios::app);
  log << record.timestamp << "\t" << key.shape_key << "\t" << record.candidate_id << "\t" << record.failure << "\t"
      << (options ? describe_options(*options) : std::string("-")) << "\n";
  if (ec || !log) spdlog::warn("could not keep the failed candidate's source in {}: {}", dir.string(),
                               ec ? ec.message() : std::string("write failed"));
}

std::function<void(const TuneRecord&)> failure_keeper(TuningCache& cache, const CacheKey& key, const TunePlan& plan,
                                                      const CandidateCompiler& compile) {
  return [&cache, key, &plan, &compile](const TuneRecord& r) {
    const Candidate* c = plan.find(r.candidate_id);
    if (!c) return;  // not a candidate of this plan: nothing to reproduce it with
    const CompileOptions options = compile.options(*c);
    keep_failure(cache, key, r, compile.source(*c), &options);
  };
}

}  // namespace kpg
