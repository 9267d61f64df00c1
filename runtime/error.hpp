#pragma once
// Every failure in kpg is an exception derived from kpg::Error. The checking macros
// funnel into one [[noreturn]] thrower per API so each message carries the statement,
// file:line and the error's name and description.

#include <cuda.h>
#include <nvrtc.h>

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace kpg {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Bad input from the user (missing file, malformed value): the CLI exits with code 2.
class InputError : public Error {
 public:
  using Error::Error;
};

// A call of a C API returned something other than its success value: `result` is the
// API's own code (CUresult, nvrtcResult), `call` the function that returned it.
template <class Result>
class ApiCallError : public Error {
 public:
  ApiCallError(Result result, std::string call, const std::string& message)
      : Error(message), result_(result), call_(std::move(call)) {}
  Result result() const { return result_; }
  const std::string& call() const { return call_; }

 private:
  Result result_;
  std::string call_;
};

// A Driver API call returned something other than CUDA_SUCCESS.
using CudaError = ApiCallError<CUresult>;

// An NVRTC call other than the compilation itself failed.
using NvrtcError = ApiCallError<nvrtcResult>;

// The kernel source did not compile. log() holds NVRTC's log, whose lines name the
// source file and line ("/abs/path/kernel.cu(12): error: ...").
class CompileError : public Error {
 public:
  CompileError(std::string source_name, std::string log, std::vector<std::string> options);
  const std::string& log() const { return log_; }
  const std::string& source_name() const { return source_name_; }
  const std::vector<std::string>& options() const { return options_; }

 private:
  std::string source_name_;
  std::string log_;
  std::vector<std::string> options_;
};

// A launch configuration the kernel or device cannot run (block too large, too much
// shared memory, grid not divisible by the cluster): rejected before reaching the driver.
class LaunchConfigError : public Error {
 public:
  using Error::Error;
};

// libcuda.so.1 could not be loaded or initialised. what() is one line saying what is missing.
class NoDriverError : public Error {
 public:
  using Error::Error;
};

namespace detail {
[[noreturn]] void throw_cuda_error(CUresult result, const char* statement, const char* file, int line);
[[noreturn]] void throw_nvrtc_error(nvrtcResult result, const char* statement, const char* file, int line);
}  // namespace detail

// "CUDA_ERROR_OUT_OF_MEMORY: out of memory" (falls back to the number if the driver is not loaded).
std::string cuda_error_text(CUresult result);

// For destructors and other release paths that must not throw: logs a warning "CALL
// failed: <cuda_error_text>" when `result` is not CUDA_SUCCESS.
void warn_on_failure(const char* call, CUresult result) noexcept;

// A third-party library's exception text as a user should read it: without the library's
// tags ("[json.exception.parse_error.101] ", "filesystem error: ", "basic_filebuf::...").
std::string readable_error(const std::exception& e);

}  // namespace kpg

// One checking macro per API, all of one shape: the statement runs once, and a result
// other than the API's success value goes to its [[noreturn]] thrower with the statement
// text, file and line.
#define KPG_CHECK_RESULT(stmt, result_type, success, thrower)                                  \
  do {                                                                                         \
    const result_type kpg_check_result_ = (stmt);                                              \
    if (kpg_check_result_ != (success)) thrower(kpg_check_result_, #stmt, __FILE__, __LINE__); \
  } while (0)

#define KPG_CU_CHECK(stmt) KPG_CHECK_RESULT(stmt, CUresult, CUDA_SUCCESS, ::kpg::detail::throw_cuda_error)
#define KPG_NVRTC_CHECK(stmt) KPG_CHECK_RESULT(stmt, nvrtcResult, NVRTC_SUCCESS, ::kpg::detail::throw_nvrtc_error)
