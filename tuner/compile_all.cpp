#include "tuner/compile_all.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "runtime/cubin_elf.hpp"
#include "runtime/error.hpp"
#include "tuner/compile_pool.hpp"

namespace fs = std::filesystem;

namespace kpg {
namespace {

// One distinct compile, the first candidate that needs it (named in failures and spills)
// and the spaces it is the first compile of (whose launches must find their kernels).
struct CompileJob {
  size_t index = 0;  // among the config's unique compiles
  fs::path source;  // the candidate's space's kernel file
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

// What makes two compiles identical: source, arch and defines.
std::string dedup_key(const fs::path& source, const CompileOptions& o) {
  std::string key = source.string() + "\n" + o.arch;
  for (const auto& [name, value] : o.defines) key += "\n" + name + "=" + value;
  return key;
}

void run_parallel(std::vector<CompileJob>& jobs, const Compiler& compiler, unsigned threads) {
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i; (i = next.fetch_add(1)) < jobs.size();) {
      CompileJob& job = jobs[i];
      try {
        job.result = compiler.compile_file(job.source, job.options);
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

// A tensor-map argument meets a 128-byte parameter, or the kernel would read a cut map.
std::vector<std::string> tensor_map_parameter_problems(const LaunchSpec& launch, const std::vector<size_t>& sizes,
                                                       const fs::path& source) {
  std::vector<std::string> out;
  for (size_t i = 0; i < launch.args.size(); ++i) {
    const ArgSpec& arg = launch.args[i];
    if (arg.kind != ArgSpec::tensor_map || (i < sizes.size() && sizes[i] == sizeof(CUtensorMap))) continue;
    out.push_back(format_loc(arg.loc) + ": argument " + std::to_string(i) + " of kernel '" + launch.kernel +
                  "' is a tensor map (" + std::to_string(sizeof(CUtensorMap)) + " bytes), but in " + source.string() +
                  (i < sizes.size() ? " that parameter is " + std::to_string(sizes[i]) + " bytes"
                                    : " the kernel takes only " + std::to_string(sizes.size()) + " parameters") +
                  "; declare it `const __grid_constant__ CUtensorMap`");
  }
  return out;
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
  std::map<std::string, std::vector<size_t>> parameter_sizes;  // what the cubin records; PTX: none
  try {
    if (!compiled.is_ptx) parameter_sizes = cubin_parameter_sizes(compiled.image);
  } catch (const Error& e) {
    return {"cannot read the kernel parameters of the image compiled from " + source.string() + ": " + e.what()};
  }
  std::vector<std::string> out;
  for (const auto& launch : space.launches) {
    if (std::find(defined.begin(), defined.end(), launch.kernel) != defined.end()) {
      if (const auto it = parameter_sizes.find(launch.kernel); it != parameter_sizes.end())
        for (const auto& problem : tensor_map_parameter_problems(launch, it->second, source)) out.push_back(problem);
      continue;
    }
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

  if (options.shard_count == 0 || options.shard_index >= options.shard_count)
    throw Error("compile_op: shard " + std::to_string(options.shard_index) + " of " + std::to_string(options.shard_count));
  std::vector<CompileJob> jobs;
  std::map<std::string, size_t> seen;         // dedup key -> index among the unique compiles
  std::map<size_t, size_t> mine;              // index -> position in `jobs` (this shard's)
  std::set<const SpaceSpec*> checked;         // spaces whose launches a compile will check
  size_t unique = 0;
  for (const auto& variant : config.variants) {
    for (const auto& shape : config.shapes) {
      PruneReport pruned;
      const auto candidates = enumerate(config, variant, shape, options.limits, &pruned);
      if (candidates.empty() && options.shard_index == 0)  // tuning it at a default shape could only fail
        report.failures.push_back({variant.name, shape.to_string(),
                                   "no configuration passes the constraints: " + describe_pruning(pruned),
                                   "kpg watch " + config.file.string() + " --once --variant " + variant.name +
                                       " --shape " + shape.to_string(),
                                   unique});
      for (const auto& candidate : candidates) {
        ++report.candidates;
        const SpaceSpec& space = variant.spaces.at(candidate.space_index);
        const CompileOptions o =
            candidate_compile_options(config, candidate, shape, options.limits, options.arch, options.kernels_dir);
        const std::string key = dedup_key(space.source, o);
        // The first compile of each space checks that its launches' kernels exist, once.
        const bool check_space = checked.insert(&space).second;
        if (const auto it = seen.find(key); it != seen.end()) {
          if (const auto job = mine.find(it->second); check_space && job != mine.end())
            jobs[job->second].spaces.push_back(&space);
          continue;
        }
        if (options.max_unique_compiles > 0 && unique >= options.max_unique_compiles) {
          if (check_space) checked.erase(&space);
          ++report.skipped_compiles;
          continue;
        }
        const size_t index = unique++;
        seen.emplace(key, index);
        if (index % options.shard_count != options.shard_index) continue;  // another rank's
        mine.emplace(index, jobs.size());
        std::vector<const SpaceSpec*> spaces;
        if (check_space) spaces.push_back(&space);
        jobs.push_back(CompileJob{index, space.source, std::move(o), variant.name + "/" + candidate.id(),
                                  shape.to_string(), std::move(spaces), {}, {}});
      }
    }
  }

  const unsigned threads = options.jobs > 0 ? options.jobs : std::max(1u, std::thread::hardware_concurrency());
  run_parallel(jobs, compiler, threads);

  report.unique_compiles = jobs.size();
  for (const auto& job : jobs) {
    if (!job.error_line.empty()) {
      report.failures.push_back(
          {job.candidate, job.shape, job.error_line, reproduce_command(job.source, job.options), job.index});
      continue;
    }
    for (const SpaceSpec* space : job.spaces)
      for (const auto& missing : missing_kernels(*space, job.result, job.source))
        report.failures.push_back({job.candidate, job.shape, missing, reproduce_command(job.source, job.options), job.index});
    if (job.result.cache_hit) ++report.cache_hits;
    for (const auto& k : job.result.resources) {
      if (spills(k)) report.spills.push_back({job.candidate, job.shape, k, job.index});
    }
    for (auto& text : ptxas_performance_warnings(job.result.log))
      report.performance_warnings.push_back({job.candidate, job.shape, std::move(text), job.index});
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

OpCompileReport merge_shard_reports(const std::vector<OpCompileReport>& shards) {
  if (shards.empty()) return {};
  OpCompileReport merged = shards.front();  // op, file, config error, candidates, skipped: the same on every shard
  merged.unique_compiles = merged.cache_hits = 0;
  merged.failures.clear();
  merged.spills.clear();
  merged.performance_warnings.clear();
  merged.seconds = 0;
  for (const auto& s : shards) {
    merged.unique_compiles += s.unique_compiles;
    merged.cache_hits += s.cache_hits;
    merged.failures.insert(merged.failures.end(), s.failures.begin(), s.failures.end());
    merged.spills.insert(merged.spills.end(), s.spills.begin(), s.spills.end());
    merged.performance_warnings.insert(merged.performance_warnings.end(), s.performance_warnings.begin(),
                                       s.performance_warnings.end());
    merged.seconds = std::max(merged.seconds, s.seconds);
  }
  const auto by_job = [](const auto& a, const auto& b) { return a.job < b.job; };
  std::stable_sort(merged.failures.begin(), merged.failures.end(), by_job);
  std::stable_sort(merged.spills.begin(), merged.spills.end(), by_job);
  std::stable_sort(merged.performance_warnings.begin(), merged.performance_warnings.end(), by_job);
  return merged;
}

// The report's JSON between MPI ranks: every field, by its name (nlohmann's macros write
// the encoder and the decoder from one list).
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(KernelResources, kernel, registers, stack_bytes, spill_store_bytes, spill_load_bytes,
                                   shared_bytes, barriers, from_cubin)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(CompileFailure, candidate, shape, first_error_line, reproduce, job)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(KernelSpill, candidate, shape, kernel, job)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(PerformanceWarning, candidate, shape, text, job)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(OpCompileReport, op, config_file, config_error, candidates, unique_compiles,
                                   skipped_compiles, cache_hits, failures, spills, performance_warnings, seconds)

std::string encode_json(const OpCompileReport& r) { return nlohmann::json(r).dump(); }

OpCompileReport decode_compile_report_json(const std::string& text) {
  try {
    return nlohmann::json::parse(text).get<OpCompileReport>();
  } catch (const nlohmann::json::exception& e) {
    throw Error(std::string("malformed compile report: ") + e.what());
  }
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
