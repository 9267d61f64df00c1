#pragma once
// cuBLAS reached through dlopen, like libcuda: kpg never links it, so the binary starts on
// machines without it and only the standard-attention baseline needs it. Symbols are those
// of the toolkit's cublas_v2.h (the _v2 ABI); the header gives the types only.

#include <cublas_v2.h>

#include <string>

#include "runtime/error.hpp"
#include "runtime/unique_handle.hpp"

namespace kpg {

// The few entry points standard attention uses. Declared by hand where cublas_api.h
// overloads the name in C++ (cublasGemmStridedBatchedEx has an inline migration overload).
struct CublasApi {
  cublasStatus_t (*create)(cublasHandle_t*) = nullptr;                // cublasCreate_v2
  cublasStatus_t (*destroy)(cublasHandle_t) = nullptr;                // cublasDestroy_v2
  cublasStatus_t (*set_stream)(cublasHandle_t, cudaStream_t) = nullptr;  // cublasSetStream_v2
  cublasStatus_t (*gemm_strided_batched_ex)(cublasHandle_t, cublasOperation_t, cublasOperation_t, int m, int n,
                                            int k, const void* alpha, const void* a, cudaDataType a_type, int lda,
                                            long long stride_a, const void* b, cudaDataType b_type, int ldb,
                                            long long stride_b, const void* beta, void* c, cudaDataType c_type,
                                            int ldc, long long stride_c, int batch_count,
                                            cublasComputeType_t compute_type, cublasGemmAlgo_t algo) = nullptr;
  const char* (*get_status_name)(cublasStatus_t) = nullptr;           // optional (cuBLAS 11.4+)
};

// Loaded once per process (thread-safe): $KPG_CUBLAS_LIBRARY when set, else libcublas.so.13,
// then libcublas.so. Throws kpg::Error with one line naming what is missing, on every call
// if the first load failed.
const CublasApi& cublas();

// True when cublas() would succeed; otherwise `reason` (if given) says why not.
bool cublas_available(std::string* reason = nullptr);

// "CUBLAS_STATUS_NOT_INITIALIZED" (from the library when loaded, else our own table).
std::string cublas_status_name(cublasStatus_t status);

// A cuBLAS call failed: the statement, file:line and the status name.
class CublasError : public Error {
 public:
  CublasError(cublasStatus_t status, const std::string& message) : Error(message), status_(status) {}
  cublasStatus_t status() const { return status_; }

 private:
  cublasStatus_t status_;
};

namespace detail {
[[noreturn]] void throw_cublas_error(cublasStatus_t status, const char* statement, const char* file, int line);
}  // namespace detail

namespace detail {
void destroy_cublas_handle(cublasHandle_t handle) noexcept;  // cublasDestroy_v2, a failure logged
}  // namespace detail

// A cuBLAS handle bound to one stream. Move-only; needs a current context.
class CublasHandle {
 public:
  explicit CublasHandle(CUstream stream);

  cublasHandle_t get() const { return handle_.get(); }
  // Later calls through this handle run on `stream`.
  void set_stream(CUstream stream) const;

 private:
  UniqueHandle<cublasHandle_t, &detail::destroy_cublas_handle> handle_;
};

}  // namespace kpg

#define KPG_CUBLAS_CHECK(stmt) \
  KPG_CHECK_RESULT(stmt, cublasStatus_t, CUBLAS_STATUS_SUCCESS, ::kpg::detail::throw_cublas_error)
