#include "tuner/compile_all.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "runtime/cubin_elf.hpp"
#include "runtime/error.hpp"

namespace fs = std::filesystem;

namespace kpg {
namespace {

// One distinct compile, the first candidate that needs it (named in failures and spills)
// and the spaces of every candidate that shares it (whose launches must find their kernels).
struct CompileJob {
  CompileOptions options;
  std::string candidate, shape;
  std::vector<const SpaceSpec*> spaces;
  CompiledKernel result;
  std::string error_line;  // non-empty: the compile failed
};

std::string first_error_line(const std::string& log, const std::string& fallback) {
  std::istringstream lines(log);
  std::string line, first;
  while (std::getline(lines, line)) {
    if (line.find("error") != std::string::npos) return line;
    if (first.empty() && !line.empty()) first = line;
  }
  return first.empty() ? fallback : first;
}

std::string reproduce_command(const fs::path& source, const CompileOptions& o) {
  std::string cmd = "kpg compile " + source.string() + " --arch " + o.arch;
  for (const auto& [name, value] : o.defines) cmd += " -D " + name + (value.empty() ? "" : "=" + value);
  return cmd;
}

// What makes two compiles identical: the source is the config's, so arch and defines.
std::string dedup_key(const CompileOptions& o) {
  std::string key = o.arch;
  for (const auto& [name, value] : o.defines) key += "\n" + name + "=" + value;
  return key;
}

void run_parallel(std::vector<CompileJob>& jobs, const Compiler& compiler, const fs::path& source, unsigned threads) {
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i; (i = next.fetch_add(1)) < jobs.size();) {
      CompileJob& job = jobs[i];
      try {
        job.result = compiler.compile_file(source, job.options);
      } catch (const CompileError& e) {
        job.error_line = first_error_line(e.log(), e.what());
      } catch (const Error& e) {  // NVRTC failure, unreadable source: recorded like a compile error
        job.error_line = first_error_line(e.what(), e.what());
      }
    }
  };
  const unsigned n = std::max(1u, std::min<unsigned>(threads, static_cast<unsigned>(jobs.size())));
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < n; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
}

bool spills(const KernelResources& r) {
  return r.stack_bytes > 0 || r.spill_store_bytes > 0 || r.spill_load_bytes > 0;
}

}  // namespace

std::vector<std::string> missing_kernels(const SpaceSpec& space, const CompiledKernel& compiled,
                                         const fs::path& source) {
  std::vector<std::string> defined;
  try {
    defined = image_kernels(compiled.image, compiled.is_ptx);
  } catch (const Error& e) {
    return {"cannot list the kernels of the image compiled from " + source.string() + ": " + e.what()};
  }
  std::vector<std::string> out;
  for (const auto& launch : space.launches) {
    if (std::find(defined.begin(), defined.end(), launch.kernel) != defined.end()) continue;
    std::string known;
    for (const auto& name : defined) known += (known.empty() ? "" : ", ") + name;
    out.push_back(format_loc(launch.kernel_loc) + ": no kernel named '" + launch.kernel + "' in " + source.string() +
                  " (it defines: " + (known.empty() ? "none" : known) +
                  "; a C++ kernel needs extern \"C\" to keep its name)");
  }
  return out;
}

OpCompileReport compile_op(const OpConfig& config, const Compiler& compiler, const CompileAllOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  OpCompileReport report;
  report.op = config.op;
  report.config_file = config.file;

  std::vector<CompileJob> jobs;
  std::map<std::string, size_t> seen;  // dedup key -> its job, or kSkipped
  for (const auto& variant : config.variants) {
    for (const auto& shape : config.shapes) {
      PruneReport pruned;
      const auto candidates = enumerate(config, variant, shape, options.limits, &pruned);
      if (candidates.empty())  // tuning this variant at a default shape could only fail
        report.failures.push_back({variant.name, shape.to_string(),
                                   "no configuration passes the constraints: " + describe_pruning(pruned),
                                   "kpg watch " + config.file.string() + " --once --variant " + variant.name +
                                       " --shape " + shape.to_string()});
      for (const auto& candidate : candidates) {
        ++report.candidates;
        CompileOptions o;
        const std::string& space_arch = variant.spaces.at(candidate.space_index).arch;
        o.arch = space_arch.empty() ? options.arch : space_arch;
        o.defines = compile_defines(config, candidate, shape, options.limits);
        o.include_dirs = {options.kernels_dir, config.source.parent_path()};  // as the tuner compiles
        const SpaceSpec* space = &variant.spaces.at(candidate.space_index);
        const std::string key = dedup_key(o);
        constexpr size_t kSkipped = static_cast<size_t>(-1);
        if (const auto it = seen.find(key); it != seen.end()) {
          if (it->second == kSkipped) continue;
          auto& spaces = jobs[it->second].spaces;
          if (std::find(spaces.begin(), spaces.end(), space) == spaces.end()) spaces.push_back(space);
          continue;
        }
        if (options.max_unique_compiles > 0 && jobs.size() >= options.max_unique_compiles) {
          seen.emplace(key, kSkipped);
          ++report.skipped_compiles;
          continue;
        }
        seen.emplace(key, jobs.size());
        jobs.push_back(CompileJob{std::move(o), variant.name + "/" + candidate.id(), shape.to_string(), {space}, {}, {}});
      }
    }
  }

  const unsigned threads = options.jobs > 0 ? options.jobs : std::max(1u, std::thread::hardware_concurrency());
  run_parallel(jobs, compiler, config.source, threads);

  report.unique_compiles = jobs.size();
  std::set<std::string> reported;  // a missing kernel is named once, not once per compile
  for (const auto& job : jobs) {
    if (!job.error_line.empty()) {
      report.failures.push_back({job.candidate, job.shape, job.error_line, reproduce_command(config.source, job.options)});
      continue;
    }
    for (const SpaceSpec* space : job.spaces)
      for (const auto& missing : missing_kernels(*space, job.result, config.source))
        if (reported.insert(missing).second)
          report.failures.push_back({job.candidate, job.shape, missing, reproduce_command(config.source, job.options)});
    if (job.result.cache_hit) ++report.cache_hits;
    for (const auto& k : job.result.resources) {
      if (spills(k)) report.spills.push_back({job.candidate, job.shape, k});
    }
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

std::vector<OpCompileReport> compile_all(const std::vector<fs::path>& config_files, const Compiler& compiler,
                                         const CompileAllOptions& options) {
  std::vector<OpCompileReport> reports;
  for (const auto& file : config_files) {
    std::optional<OpConfig> config;
    try {
      config.emplace(load_config(file, options.kernels_dir));
    } catch (const Error& e) {
      OpCompileReport failed;
      failed.op = file.stem().string();
      failed.config_file = file;
      failed.config_error = e.what();
      reports.push_back(std::move(failed));
      continue;
    }
    try {
      reports.push_back(compile_op(*config, compiler, options));
    } catch (const Error& e) {  // e.g. a define that does not evaluate at a shape
      OpCompileReport failed;
      failed.op = config->op;
      failed.config_file = file;
      failed.config_error = e.what();
      reports.push_back(std::move(failed));
    }
  }
  return reports;
}

std::vector<fs::path> config_files_in(const fs::path& configs_dir) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(configs_dir, ec)) {
    const auto ext = entry.path().extension();
    if (entry.is_regular_file() && (ext == ".yaml" || ext == ".yml")) files.push_back(entry.path());
  }
  if (ec) throw InputError("cannot list configs in " + configs_dir.string() + ": " + ec.message());
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace kpg
