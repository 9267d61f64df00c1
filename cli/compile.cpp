// kpg compile: compile one kernel file with NVRTC (through the cubin cache) and report
// its resources; on a GPU, also load it and report what the driver says about each kernel.
// `kpg compile --all` compiles every op config's grid instead (cli/compile_all.cpp).

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <regex>

#include "cli/core/command.hpp"
#include "cli/core/flag_checks.hpp"
#include "cli/compile_all.hpp"
#include "runtime/context.hpp"
#include "runtime/cubin_cache.hpp"
#include "runtime/compiler.hpp"
#include "runtime/device.hpp"
#include "runtime/driver.hpp"
#include "runtime/error.hpp"
#include "runtime/input_file.hpp"
#include "runtime/module.hpp"
#include "runtime/output_file.hpp"

namespace fs = std::filesystem;

namespace kpg {
namespace {

struct CompileArgs {
  std::string file;
  std::vector<std::string> defines;
  std::vector<std::string> include_dirs;
  std::string arch;  // empty: the GPU's, else sm_90
  std::string output;
  bool ptx = false;
  bool fast_math = false;
  bool no_cache = false;
  bool all = false;
  unsigned jobs = 0;
};

// FILE as given (relative to the current folder), else in the kernels folder. Something
// there that cannot be read (a folder, no permission) is reported as such, not as missing.
fs::path find_source(const std::string& file, const fs::path& kernels_dir) {
  if (file.empty()) throw InputError("kpg compile: the kernel FILE is empty");
  for (const fs::path& candidate : {fs::path(file), kernels_dir / file}) {
    struct stat st {};
    if (::lstat(candidate.c_str(), &st) != 0) {
      if (errno == ENOENT) continue;
      throw InputError("cannot read kernel file " + candidate.string() + ": " + std::strerror(errno));
    }
    if (const std::string why = unreadable_reason(candidate); !why.empty())
      throw InputError("cannot read kernel file " + candidate.string() + ": " + why);
    return fs::absolute(candidate).lexically_normal();
  }
  throw InputError("kernel file '" + file + "' not found (looked in the current folder and " + kernels_dir.string() + ")");
}

std::pair<std::string, std::string> parse_define(const std::string& text) {
  static const std::regex define(R"(([A-Za-z_][A-Za-z0-9_]*)(?:=(.*))?)");
  std::smatch m;
  if (!std::regex_match(text, m, define)) throw InputError("-D '" + text + "': expected NAME or NAME=VALUE");
  return {m[1].str(), m[2].str()};
}

// The GPU's arch when there is one, so a plain `kpg compile` targets the card in the machine.
std::string default_arch() {
  if (driver_available() && Device::count() > 0) return Device(0).props().arch();
  return "sm_90";
}

// `-o -`: the image goes to standard output and every report line to standard error.
bool to_stdout(const CompileArgs& args) { return args.output == "-"; }

void write_output(const std::string& output, const std::vector<char>& image, bool is_ptx) {
  // PTX images end in NUL for the driver; the file holds the text only.
  const size_t size = (is_ptx && !image.empty() && image.back() == '\0') ? image.size() - 1 : image.size();
  if (output != "-") return write_output_file(output, std::string_view(image.data(), size));
  if (std::fwrite(image.data(), 1, size, stdout) != size || std::fflush(stdout) != 0)
    throw InputError(std::string("cannot write the image to standard output: ") + std::strerror(errno));
}

// "?" marks what the source did not record (a cubin has no spill counts).
void print_resources(FILE* out, const std::vector<KernelResources>& resources) {
  if (resources.empty()) return;
  std::fprintf(out, "%-40s %5s %6s %13s %7s %9s  %s\n", "kernel", "regs", "stack", "spill st/ld", "smem", "barriers", "from");
  for (const auto& r : resources) {
    const std::string spills = format_resource(r.spill_store_bytes) + "/" + format_resource(r.spill_load_bytes);
    std::fprintf(out, "%-40s %5s %6s %13s %7s %9s  %s\n", demangle(r.kernel).c_str(), format_resource(r.registers).c_str(),
                format_resource(r.stack_bytes).c_str(), spills.c_str(), format_resource(r.shared_bytes).c_str(),
                format_resource(r.barriers).c_str(), r.from_cubin ? "cubin" : "ptxas");
  }
}

// Whether an image built for `arch` can load on the device: a cubin needs the same major
// and a minor no newer (arch-specific "a"/"f" targets need the exact card); PTX is JIT-compiled
// for any newer device.
bool runs_on(const std::string& arch, bool is_ptx, const DeviceProperties& device) {
  static const std::regex pattern(R"((?:sm|compute)_(\d+)(\d)([af]?))");
  std::smatch m;
  if (!std::regex_match(arch, m, pattern)) return false;
  const int major = std::stoi(m[1].str()), minor = std::stoi(m[2].str());
  const int target = major * 10 + minor, card = device.cc_major * 10 + device.cc_minor;
  if (is_ptx) return target <= card;
  if (!m[3].str().empty()) return target == card;
  return major == device.cc_major && minor <= device.cc_minor;
}

void print_loaded_attributes(FILE* out, const CompiledKernel& compiled, const std::string& arch) {
  std::string reason;
  if (!driver_available(&reason)) {
    std::fprintf(out, "no GPU: module not loaded (%s)\n", reason.c_str());
    return;
  }
  const Device device(0);
  if (!runs_on(arch, compiled.is_ptx, device.props())) {
    std::fprintf(out, "module not loaded: built for %s, device 0 is %s\n", arch.c_str(), device.props().arch().c_str());
    return;
  }
  const Context context(device);
  const Module module = Module::load(compiled.image);
  std::fprintf(out, "loaded on %s:\n", device.props().name.c_str());
  std::fprintf(out, "%-40s %5s %11s %11s %11s\n", "kernel", "regs", "static smem", "local/thr", "max threads");
  for (const auto& r : compiled.resources) {
    const FunctionAttributes a = module.function(r.kernel).attributes();  // a copy: the Function is a temporary
    std::fprintf(out, "%-40s %5d %11d %11d %11d\n", demangle(r.kernel).c_str(), a.registers, a.static_shared_bytes,
                a.local_bytes, a.max_threads_per_block);
  }
}

int run_compile(const CliContext& ctx, const CompileArgs& args) {
  if (args.all) {
    if (!args.file.empty()) throw InputError("kpg compile: give a kernel FILE or --all, not both");
    // --all compiles each config with the tuner's options; these would silently not apply.
    if (!args.output.empty() || !args.defines.empty() || !args.include_dirs.empty() || args.ptx || args.fast_math)
      throw InputError("kpg compile --all: -o, -D, -I, --ptx and --fast-math apply to one kernel FILE, not to --all");
    return run_compile_all(ctx, CompileAllArgs{args.arch, args.jobs, args.no_cache});
  }
  if (args.file.empty()) throw InputError("kpg compile: a kernel FILE (or --all) is required");
  const fs::path kernels = ctx.kernels_dir();
  const fs::path source = find_source(args.file, kernels);
  CompileOptions options;
  options.arch = args.arch.empty() ? default_arch() : args.arch;
  options.ptx = args.ptx;
  options.fast_math = args.fast_math;
  options.include_dirs.push_back(kernels);
  for (const auto& dir : args.include_dirs) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) throw InputError("-I " + dir + ": no such folder");
    options.include_dirs.push_back(fs::absolute(dir));
  }
  for (const auto& d : args.defines) options.defines.push_back(parse_define(d));
  if (!args.output.empty() && !to_stdout(args)) {
    check_output_file(args.output);  // before the compile, not after
    std::error_code ec;
    if (fs::equivalent(args.output, source, ec))
      throw InputError("-o " + args.output + " is the kernel source itself; kpg will not replace it with the image");
  }

  std::unique_ptr<CubinCache> cache;
  if (!args.no_cache) cache = std::make_unique<CubinCache>(ctx.cache_dir());
  const Compiler compiler(cache.get());
  const CompiledKernel compiled = compiler.compile_file(source, options);

  FILE* report = to_stdout(args) ? stderr : stdout;
  std::fprintf(report, "compiled %s for %s in %.1f ms: cache %s (key %.12s), %zu-byte %s\n", source.string().c_str(),
              options.arch.c_str(), compiled.compile_ms,
              args.no_cache ? "off" : (compiled.cache_hit ? "hit" : "miss"), compiled.cache_key.c_str(),
              compiled.image.size(), compiled.is_ptx ? "PTX" : "cubin");
  print_resources(report, compiled.resources);
  for (const auto& w : ptxas_performance_warnings(compiled.log))
    std::fprintf(report, "ptxas: performance loss: %s\n", w.c_str());
  if (!args.output.empty()) {
    write_output(args.output, compiled.image, compiled.is_ptx);
    std::fprintf(report, "wrote %s\n", to_stdout(args) ? "the image to standard output" : args.output.c_str());
  }
  print_loaded_attributes(report, compiled, options.arch);
  return kExitOk;
}

}  // namespace

void add_compile_command(CLI::App& app, CliContext& ctx) {
  auto args = std::make_shared<CompileArgs>();
  auto* cmd = app.add_subcommand("compile", "Compile a kernel file with NVRTC and report its resources");
  cmd->add_option("file", args->file, "Kernel source (.cu), relative to the current folder or the kernels dir");
  cmd->add_flag("--all", args->all,
                "Compile every op config's kernels over every candidate at every default shape (no GPU needed); "
                "exit 2 if any compile fails");
  cmd->add_option("-j,--jobs", args->jobs, "Compile threads for --all (default: one per core)")->check(whole_number(1024));
  cmd->add_option("-D,--define", args->defines, "Preprocessor define NAME=VALUE (repeatable)");
  cmd->add_option("-I,--include", args->include_dirs, "Extra include folder (repeatable)");
  cmd->add_option("--arch", args->arch, "Target: sm_90, sm_90a, compute_90 (default: the GPU's, else sm_90)");
  cmd->add_flag("--ptx", args->ptx, "Produce PTX instead of a cubin");
  cmd->add_option("-o,--output", args->output,
                  "Write the cubin/PTX to this regular file (replaced whole; a symlink is followed), or to standard "
                  "output with '-'");
  cmd->add_flag("--fast-math", args->fast_math, "Compile with --use_fast_math");
  cmd->add_flag("--no-cache", args->no_cache, "Bypass the cubin cache");
  cmd->callback([&ctx, args] { ctx.action = [&ctx, args] { return run_compile(ctx, *args); }; });
}

}  // namespace kpg
