#pragma once
// NVRTC compilation of kernel sources read at run time, with the cubin cache in front.
// Thread-safe: each compile owns its NVRTC program, so many variants compile in parallel.

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "runtime/kernel_resources.hpp"

namespace kpg {

class CubinCache;

struct CompileOptions {
  std::string arch = "sm_90";  // sm_XX, sm_90a, or compute_XX (PTX only)
  std::vector<std::pair<std::string, std::string>> defines;  // -DK=V (-DK when V is empty)
  std::vector<std::filesystem::path> include_dirs;           // project headers (hashed into the cache key)
  bool lineinfo = true;
  bool fast_math = false;
  bool ptx = false;            // produce PTX instead of a cubin
  bool ptxas_verbose = true;   // ask ptxas for the per-kernel resource report
  std::vector<std::string> extra;  // passed to NVRTC as given
};

// "42", or "?" for an unknown (-1) value.
std::string format_resource(int value);

struct CompiledKernel {
  std::vector<char> image;  // cubin, or NUL-terminated PTX; Module::load takes either
  bool is_ptx = false;
  std::string log;  // NVRTC log (ptxas report, warnings); kept in the cache too
  std::vector<KernelResources> resources;
  double compile_ms = 0.0;  // wall time of this call (a cache hit is fast)
  bool cache_hit = false;
  std::string cache_key;     // SHA-256 hex of cache_origin
  std::string cache_origin;  // what the image is compiled from (CubinCache): NVRTC version, program,
                             // source and header hashes, target, options; one "name value" a line
};

class Compiler {
 public:
  // `cache` may be null (always compile); it must outlive the Compiler.
  explicit Compiler(CubinCache* cache = nullptr);

  // Reads `source`; its folder is searched for headers after options.include_dirs.
  // NVRTC's program name is the absolute path, so log lines point at the real file:line.
  // Throws CompileError (with the log) when the source does not compile, InputError when
  // the file cannot be read or the arch is malformed or not one NVRTC supports.
  CompiledKernel compile_file(const std::filesystem::path& source, const CompileOptions& options) const;
  CompiledKernel compile_source(const std::string& source, const std::string& name,
                                const CompileOptions& options) const;

  // The NVRTC options a compile with `options` passes, in order (part of the cache key).
  static std::vector<std::string> nvrtc_options(const CompileOptions& options);

 private:
  CompiledKernel compile(const std::string& source, const std::string& name, const CompileOptions& options,
                         const std::vector<std::filesystem::path>& include_dirs,
                         const std::filesystem::path& source_dir) const;
  CubinCache* cache_;
};

// NVRTC's version as major * 1000 + minor * 10 (13000 for 13.0), like CUDA_VERSION.
int nvrtc_version();

// The archs this NVRTC compiles for, as numbers (75, 80, ..., 90, 100, 120), ascending.
const std::vector<int>& nvrtc_supported_archs();

// The toolkit's include folder: $CUDA_HOME/include, $CUDA_PATH/include, /usr/local/cuda/include,
// then the one found at build time; the first holding cuda_fp16.h. Empty if none does.
std::filesystem::path cuda_include_dir();

// The per-kernel resource lines of an NVRTC log compiled with --ptxas-options=-v.
std::vector<KernelResources> parse_ptxas_resources(const std::string& log);

// ptxas's "Potential Performance Loss" remarks in an NVRTC log compiled with
// --ptxas-options=-v, each as ptxas words it (e.g. "wgmma.mma_async instructions are
// serialized due to ..."): the code runs, slower than written.
std::vector<std::string> ptxas_performance_warnings(const std::string& log);

// The resource report of a compile: the ptxas lines of `log`, plus, for a cubin, every
// kernel the log does not mention as read from the cubin's ELF sections.
std::vector<KernelResources> kernel_resources(const std::string& log, const std::vector<char>& image, bool is_ptx);

// "_Z10vector_addPKfS0_Pfi" -> "vector_add(float const*, float const*, float*, int)"; other names unchanged.
std::string demangle(const std::string& symbol);

}  // namespace kpg
