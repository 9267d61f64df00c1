#include "runtime/error.hpp"

#include <filesystem>
#include <ios>

#include <spdlog/spdlog.h>

#include "runtime/driver.hpp"

namespace kpg {

CompileError::CompileError(std::string source_name, std::string log, std::vector<std::string> options)
    : Error("compilation of " + source_name + " failed"),
      source_name_(std::move(source_name)),
      log_(std::move(log)),
      options_(std::move(options)) {}

std::string cuda_error_text(CUresult result) {
  // A CUresult can only come from a loaded driver, but be safe if it did not.
  const DriverApi* api = detail::loaded_driver();
  const char* name = nullptr;
  const char* text = nullptr;
  if (api) {
    api->cuGetErrorName(result, &name);
    api->cuGetErrorString(result, &text);
  }
  std::string out = name ? name : "CUresult " + std::to_string(static_cast<int>(result));
  if (text) out += std::string(": ") + text;
  return out;
}

void warn_on_failure(const char* call, CUresult result) noexcept {
  if (result == CUDA_SUCCESS) return;
  try {
    spdlog::warn("{} failed: {}", call, cuda_error_text(result));
  } catch (...) {  // logging itself failed: nothing more can be said
  }
}

std::string readable_error(const std::exception& e) {
  if (const auto* fs_error = dynamic_cast<const std::filesystem::filesystem_error*>(&e)) {
    std::string where = fs_error->path1().string();
    if (!fs_error->path2().empty()) where += " -> " + fs_error->path2().string();
    return (where.empty() ? "" : where + ": ") + fs_error->code().message();
  }
  if (dynamic_cast<const std::ios_base::failure*>(&e)) return "a file could not be read or written";
  std::string text = e.what();
  // nlohmann::json: "[json.exception.parse_error.101] parse error at line 1, column 1: ..."
  if (text.rfind("[json.exception.", 0) == 0) {
    const size_t end = text.find("] ");
    if (end != std::string::npos) text.erase(0, end + 2);
  }
  return text;
}

namespace detail {

namespace {
std::string location(const char* file, int line) {
  return std::filesystem::path(file).filename().string() + ":" + std::to_string(line);
}
}  // namespace

void throw_cuda_error(CUresult result, const char* statement, const char* file, int line) {
  throw CudaError(result, statement,
                  cuda_error_text(result) + " in " + statement + " at " + location(file, line));
}

void throw_nvrtc_error(nvrtcResult result, const char* statement, const char* file, int line) {
  throw NvrtcError(result, statement,
                   std::string(nvrtcGetErrorString(result)) + " in " + statement + " at " +
                       location(file, line));
}

}  // namespace detail
}  // namespace kpg
