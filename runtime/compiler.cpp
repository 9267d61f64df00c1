#include "runtime/compiler.hpp"

#include <cxxabi.h>
#include <nvrtc.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <regex>
#include <sstream>

#include "runtime/cubin_cache.hpp"
#include "runtime/cubin_elf.hpp"
#include "runtime/driver.hpp"
#include "runtime/error.hpp"
#include "runtime/includes.hpp"
#include "runtime/input_file.hpp"

namespace fs = std::filesystem;

namespace kpg {
namespace {

// Bump when the cache envelope or key recipe changes, so old entries are never misread.
constexpr const char* kKeyRecipe = "kpg-cubin-key-v3";

struct ProgramDeleter {
  void operator()(nvrtcProgram* p) const {
    if (p && *p) nvrtcDestroyProgram(p);  // failure here leaves nothing to clean up
    delete p;
  }
};
using ProgramHandle = std::unique_ptr<nvrtcProgram, ProgramDeleter>;

// A malformed arch, or one this NVRTC cannot target (sm_99), is bad input that names the
// archs it can, rather than NVRTC's bare NVRTC_ERROR_INVALID_OPTION.
void check_arch(const std::string& arch) {
  static const std::regex valid(R"((sm|compute)_(\d{2,3})[af]?)");
  std::smatch m;
  if (!std::regex_match(arch, m, valid)) {
    throw InputError("invalid GPU architecture '" + arch + "' (expected e.g. sm_90, sm_90a, compute_90)");
  }
  const std::vector<int> supported = nvrtc_supported_archs();
  if (supported.empty() || std::count(supported.begin(), supported.end(), std::stoi(m[2].str()))) return;
  std::string list;
  for (int a : supported) list += (list.empty() ? "sm_" : ", sm_") + std::to_string(a);
  throw InputError("GPU architecture '" + arch + "' is not supported by NVRTC " +
                   cuda_version_text(nvrtc_version()) +
                   " (it compiles for " + list + ")");
}

bool wants_ptx(const CompileOptions& o) { return o.ptx || o.arch.rfind("compute_", 0) == 0; }

// Cache payload: [is_ptx: 1 byte][log size: 8 bytes][log][image].
std::vector<char> pack(const CompiledKernel& k) {
  const uint64_t log_size = k.log.size();
  std::vector<char> out(1 + sizeof(log_size) + k.log.size() + k.image.size());
  char* p = out.data();
  *p++ = k.is_ptx ? 1 : 0;
  std::memcpy(p, &log_size, sizeof(log_size));
  p += sizeof(log_size);
  std::memcpy(p, k.log.data(), k.log.size());
  std::memcpy(p + k.log.size(), k.image.data(), k.image.size());
  return out;
}

bool unpack(const std::vector<char>& data, CompiledKernel& k) {
  constexpr size_t head = 1 + sizeof(uint64_t);
  if (data.size() < head) return false;
  uint64_t log_size = 0;
  std::memcpy(&log_size, data.data() + 1, sizeof(log_size));
  if (log_size > data.size() - head) return false;
  k.is_ptx = data[0] != 0;
  k.log.assign(data.data() + head, log_size);
  k.image.assign(data.begin() + static_cast<std::ptrdiff_t>(head + log_size), data.end());
  return !k.image.empty();
}

// One line of the origin text: newlines and backslashes escaped, so a value cannot
// forge another line.
std::string origin_field(const std::string& name, const std::string& value) {
  std::string line = name + " ";
  for (const char c : value) {
    if (c == '\\') line += "\\\\";
    else if (c == '\n') line += "\\n";
    else line += c;
  }
  return line + "\n";
}

// What the binary is compiled from, as the cubin cache keeps it with each entry: the
// NVRTC version, the program name, the digest of the source and of every project header
// it includes (runtime/includes.hpp, the tuning cache's too), each header's path, the
// target and every NVRTC option.
std::string cache_origin(const SourceDigest& digest, const std::string& name, const CompileOptions& options,
                         const std::vector<std::string>& nvrtc_opts) {
  std::string origin = origin_field("recipe", kKeyRecipe);
  origin += origin_field("nvrtc", std::to_string(nvrtc_version()));
  origin += origin_field("program", name);  // -lineinfo embeds the file name
  origin += origin_field("source-sha256", digest.sha256);
  for (const auto& header : digest.headers) origin += origin_field("header", header.string());
  origin += origin_field("target", options.arch + (wants_ptx(options) ? " ptx" : " cubin"));
  for (const auto& o : nvrtc_opts) origin += origin_field("option", o);
  return origin;
}

std::string program_log(nvrtcProgram program) {
  size_t size = 0;
  KPG_NVRTC_CHECK(nvrtcGetProgramLogSize(program, &size));
  std::string log(size, '\0');
  if (size > 0) KPG_NVRTC_CHECK(nvrtcGetProgramLog(program, log.data()));
  while (!log.empty() && (log.back() == '\0' || log.back() == '\n')) log.pop_back();
  return log;
}

std::vector<char> program_image(nvrtcProgram program, bool ptx) {
  size_t size = 0;
  std::vector<char> image;
  if (ptx) {
    KPG_NVRTC_CHECK(nvrtcGetPTXSize(program, &size));  // includes the terminating NUL
    image.resize(size);
    KPG_NVRTC_CHECK(nvrtcGetPTX(program, image.data()));
  } else {
    KPG_NVRTC_CHECK(nvrtcGetCUBINSize(program, &size));
    image.resize(size);
    KPG_NVRTC_CHECK(nvrtcGetCUBIN(program, image.data()));
  }
  return image;
}

double ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int nvrtc_version() {
  int major = 0, minor = 0;
  KPG_NVRTC_CHECK(nvrtcVersion(&major, &minor));
  return major * 1000 + minor * 10;
}

const std::vector<int>& nvrtc_supported_archs() {
  static const std::vector<int> archs = [] {
    int count = 0;
    KPG_NVRTC_CHECK(nvrtcGetNumSupportedArchs(&count));
    std::vector<int> out(static_cast<size_t>(count));
    if (count > 0) KPG_NVRTC_CHECK(nvrtcGetSupportedArchs(out.data()));
    return out;
  }();
  return archs;
}

fs::path cuda_include_dir() {
  std::vector<fs::path> candidates;
  for (const char* var : {"CUDA_HOME", "CUDA_PATH"}) {
    if (const char* v = std::getenv(var); v && *v) candidates.push_back(fs::path(v) / "include");
  }
  candidates.emplace_back("/usr/local/cuda/include");
#ifdef KPG_BUILD_CUDA_INCLUDE_DIR
  candidates.emplace_back(KPG_BUILD_CUDA_INCLUDE_DIR);
#endif
  std::error_code ec;
  for (const auto& dir : candidates) {
    if (fs::is_regular_file(dir / "cuda_fp16.h", ec)) return dir;
  }
  return {};
}

std::vector<KernelResources> parse_ptxas_resources(const std::string& log) {
  static const std::regex entry(R"(Compiling entry function '([^']+)')");
  static const std::regex frame(R"((\d+) bytes stack frame, (\d+) bytes spill stores, (\d+) bytes spill loads)");
  static const std::regex used(R"(Used (\d+) registers)");
  static const std::regex barriers(R"(used (\d+) barriers)");
  static const std::regex smem(R"((\d+) bytes smem)");
  std::vector<KernelResources> out;
  std::istringstream lines(log);
  std::string line;
  std::smatch m;
  while (std::getline(lines, line)) {
    if (std::regex_search(line, m, entry)) {
      out.push_back(KernelResources{});
      out.back().kernel = m[1].str();
      out.back().shared_bytes = 0;  // ptxas leaves out "smem" and "barriers" when there are none
      out.back().barriers = 0;
      continue;
    }
    if (out.empty()) continue;
    auto& k = out.back();
    if (std::regex_search(line, m, frame)) {
      k.stack_bytes = std::stoi(m[1].str());
      k.spill_store_bytes = std::stoi(m[2].str());
      k.spill_load_bytes = std::stoi(m[3].str());
    }
    if (std::regex_search(line, m, used)) {
      k.registers = std::stoi(m[1].str());
      if (std::regex_search(line, m, barriers)) k.barriers = std::stoi(m[1].str());
      if (std::regex_search(line, m, smem)) k.shared_bytes = std::stoi(m[1].str());
    }
  }
  return out;
}

std::vector<std::string> ptxas_performance_warnings(const std::string& log) {
  static const std::string marker = "Potential Performance Loss: ";
  std::vector<std::string> out;
  std::istringstream lines(log);
  std::string line;
  while (std::getline(lines, line))
    if (const auto at = line.find(marker); at != std::string::npos) out.push_back(line.substr(at + marker.size()));
  return out;
}

std::vector<KernelResources> kernel_resources(const std::string& log, const std::vector<char>& image, bool is_ptx) {
  std::vector<KernelResources> out = parse_ptxas_resources(log);
  if (is_ptx) return out;
  std::vector<KernelResources> from_cubin;
  try {
    from_cubin = read_cubin_resources(image);
  } catch (const Error& e) {
    spdlog::warn("resource report: {}", e.what());  // the report is informational; the image loads or not on its own
  }
  for (auto& k : from_cubin) {
    const bool reported = std::any_of(out.begin(), out.end(), [&](const KernelResources& r) { return r.kernel == k.kernel; });
    if (!reported) out.push_back(std::move(k));
  }
  return out;
}

std::string format_resource(int value) { return value < 0 ? "?" : std::to_string(value); }

std::string demangle(const std::string& symbol) {
  int status = 0;
  std::unique_ptr<char, decltype(&std::free)> name(abi::__cxa_demangle(symbol.c_str(), nullptr, nullptr, &status),
                                                   &std::free);
  return (status == 0 && name) ? std::string(name.get()) : symbol;
}

Compiler::Compiler(CubinCache* cache) : cache_(cache) {}

std::vector<std::string> Compiler::nvrtc_options(const CompileOptions& o) {
  check_arch(o.arch);
  std::vector<std::string> opts{"--gpu-architecture=" + o.arch, "--std=c++17", "-DKPG_NVRTC=1"};
  if (const auto toolkit = cuda_include_dir(); !toolkit.empty()) opts.push_back("-I" + toolkit.string());
  for (const auto& dir : o.include_dirs) opts.push_back("-I" + dir.string());
  for (const auto& [key, value] : o.defines) opts.push_back("-D" + key + (value.empty() ? "" : "=" + value));
  if (o.lineinfo) opts.emplace_back("-lineinfo");
  if (o.fast_math) opts.emplace_back("--use_fast_math");
  if (o.ptxas_verbose && o.arch.rfind("sm_", 0) == 0) {
    opts.emplace_back("--ptxas-options=-v");
    // NVRTC 12.9+ keeps its own cubin cache when a driver is present (the GPU machine) and a
    // hit skips ptxas, leaving the log without the report; kpg's cubin cache is in front anyway.
    if (nvrtc_version() >= 12090) opts.emplace_back("--no-cache");
  }
  opts.insert(opts.end(), o.extra.begin(), o.extra.end());
  return opts;
}

CompiledKernel Compiler::compile_file(const fs::path& source, const CompileOptions& options) const {
  const fs::path absolute = fs::absolute(source).lexically_normal();
  const std::string text = read_input_file(absolute, "kernel source");
  // NVRTC holds the main source in memory, so its folder must be named for quoted includes.
  CompileOptions with_dir = options;
  with_dir.include_dirs.push_back(absolute.parent_path());
  return compile(text, absolute.string(), with_dir, with_dir.include_dirs, absolute.parent_path());
}

CompiledKernel Compiler::compile_source(const std::string& source, const std::string& name,
                                        const CompileOptions& options) const {
  return compile(source, name, options, options.include_dirs, fs::path(name).parent_path());
}

CompiledKernel Compiler::compile(const std::string& source, const std::string& name, const CompileOptions& options,
                                 const std::vector<fs::path>& include_dirs, const fs::path& source_dir) const {
  const auto start = std::chrono::steady_clock::now();
  const std::vector<std::string> opts = nvrtc_options(options);
  const SourceDigest digest = digest_source_text(source, source_dir, include_dirs);

  CompiledKernel result;
  result.cache_origin = cache_origin(digest, name, options, opts);
  const std::string& origin = result.cache_origin;
  result.cache_key = CubinCache::key_of(origin);
  if (spdlog::should_log(spdlog::level::debug)) {
    std::string joined;
    for (const auto& o : opts) joined += " " + o;
    spdlog::debug("compile {}: key {}, {} project header(s), options:{}", name, result.cache_key, digest.headers.size(),
                  joined);
  }
  if (cache_) {
    if (auto payload = cache_->load(origin)) {
      if (unpack(*payload, result)) {
        result.cache_hit = true;
        result.resources = kernel_resources(result.log, result.image, result.is_ptx);
        result.compile_ms = ms_since(start);
        return result;
      }
      spdlog::warn("cubin cache: entry {} has a malformed payload; recompiling", result.cache_key);
    }
  }

  ProgramHandle program(new nvrtcProgram(nullptr));
  KPG_NVRTC_CHECK(nvrtcCreateProgram(program.get(), source.c_str(), name.c_str(), 0, nullptr, nullptr));
  std::vector<const char*> argv;
  argv.reserve(opts.size());
  for (const auto& o : opts) argv.push_back(o.c_str());
  const nvrtcResult compiled = nvrtcCompileProgram(*program, static_cast<int>(argv.size()), argv.data());
  result.log = program_log(*program);
  if (compiled == NVRTC_ERROR_COMPILATION) throw CompileError(name, result.log, opts);
  KPG_NVRTC_CHECK(compiled);

  result.is_ptx = wants_ptx(options);
  result.image = program_image(*program, result.is_ptx);
  result.resources = kernel_resources(result.log, result.image, result.is_ptx);
  if (cache_) {
    try {
      cache_->store(origin, pack(result));
    } catch (const Error& e) {
      spdlog::warn("cubin cache: not stored: {}", e.what());  // the cache is an optimisation
    }
  }
  result.compile_ms = ms_since(start);
  return result;
}

}  // namespace kpg
