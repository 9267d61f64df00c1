#pragma once
// cuBLAS reached through dlopen, like libcuda: kpg never links it, so the binary starts on
// machines without it and only the standard-attention baseline needs it. Symbols are those
// of the toolkit's cublas_v2.h (the _v2 ABI); the header gives the types only.

#include <cublas_v2.h>

#include <string>

#include "runtime/error.hpp"

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

// A cuBLAS handle bound to one stream. Move-only; needs a current context. The destructor
// logs a failure and never throws.
class CublasHandle {
 public:
  explicit CublasHandle(CUstream stream);
  ~CublasHandle();
  CublasHandle(CublasHandle&& other) noexcept;
  CublasHandle& operator=(CublasHandle&& other) noexcept;
  CublasHandle(const CublasHandle&) = delete;
  CublasHandle& operator=(const CublasHandle&) = delete;

  cublasHandle_t get() const { return handle_; }
  // Later calls through this handle run on `stream`.
  void set_stream(CUstream stream) const;

 private:
  void destroy() noexcept;
  cublasHandle_t handle_ = nullptr;
};

}  // namespace kpg

#define KPG_CUBLAS_CHECK(stmt)                                                          \
  do {                                                                                  \
    const cublasStatus_t kpg_cublas_status_ = (stmt);                                   \
    if (kpg_cublas_status_ != CUBLAS_STATUS_SUCCESS)                                    \
      ::kpg::detail::throw_cublas_error(kpg_cublas_status_, #stmt, __FILE__, __LINE__); \
  } while (0)
