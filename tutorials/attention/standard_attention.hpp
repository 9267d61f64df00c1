#pragma once
// Standard attention, the unfused baseline an eager framework runs, with the N x N score
// matrix in device memory:
//   S = scale * Q K^T          cuBLAS strided-batched GEMM, 16-bit inputs, float32 S
//   S[i, j > i] = -inf         causal only: kernels_src/attention/standard.cu
//   Y = softmax(S) by rows     our fused softmax (configs/softmax.yaml, variant `fused`),
//                              float32, tuned (or taken from the tuning cache) like tutorial 1
//   P = (T) Y                  cast kernel, P stored over S's memory
//   O = P V                    cuBLAS strided-batched GEMM, float32 accumulation
// Each step is a reasonable kernel on its own; what it costs is the traffic of S and Y.

#include <cuda.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/buffer.hpp"
#include "runtime/compiler.hpp"
#include "runtime/module.hpp"
#include "tuner/config.hpp"
#include "tuner/gpu.hpp"
#include "tuner/tuner.hpp"

namespace kpg {

class CublasHandle;

// The mask and cast kernels of standard attention, relative to the kernels dir.
inline constexpr const char* kStandardAttentionKernels = "attention/standard.cu";

// Device bytes of the intermediates for an attention shape (dims B, H, N, D, CAUSAL):
// S and Y, float32 [B*H, N, N] each (P reuses S). The O(N^2) memory of the lesson.
int64_t standard_attention_score_bytes(const Shape& attention_shape);

// "out of memory: S and P need 68.7 GB, 41.2 GB free" when the intermediates (plus a
// margin for cuBLAS and the kernels) do not fit in the device's free memory now; nullopt
// when they do. Needs a current context.
std::optional<std::string> standard_attention_memory_problem(const Shape& attention_shape);

struct StandardAttentionSetup {
  const Gpu& gpu;
  const Tuner& tuner;
  const Compiler& compiler;
  std::filesystem::path kernels_dir;  // holds kStandardAttentionKernels
  const OpConfig& softmax_config;     // configs/softmax.yaml
  TuneOptions tune;                   // how the softmax configuration is chosen
};

class StandardAttention {
 public:
  // Chooses and compiles the softmax, compiles the mask and cast kernels, creates the cuBLAS
  // handle and allocates S and Y. Throws InputError for a dtype other than f16/bf16, Error
  // when the intermediates do not fit (check standard_attention_memory_problem first) or
  // cuBLAS is missing.
  StandardAttention(const StandardAttentionSetup& setup, const Shape& attention_shape);
  ~StandardAttention();
  StandardAttention(const StandardAttention&) = delete;
  StandardAttention& operator=(const StandardAttention&) = delete;

  // q, k, v, o: device pointers to contiguous [B, H, N, D] tensors of the shape's dtype.
  void launch(CUdeviceptr q, CUdeviceptr k, CUdeviceptr v, CUdeviceptr o, CUstream stream) const;

  // "cublasGemmStridedBatchedEx; softmax_warp<<<...>>> (fused, block_per_row:...); ..."
  std::string describe() const;
  // The softmax candidate and where it came from: "warp_per_row:WARPS=4 (tuning cache)".
  const std::string& softmax_choice() const { return softmax_choice_; }
  int64_t score_bytes() const { return static_cast<int64_t>(scores_.bytes() + probs_.bytes()); }

 private:
  // One kernel with its geometry and argument values packed once.
  struct KernelLaunch {
    Function function;
    LaunchConfig config;
    std::vector<uint64_t> slots;  // each argument's bytes, 8-byte aligned
    mutable std::vector<void*> pointers;
    void launch(CUstream stream) const;
    std::string describe() const;
  };
  void gemm_scores(CUdeviceptr q, CUdeviceptr k) const;
  void gemm_output(CUdeviceptr v, CUdeviceptr o) const;

  Shape shape_;
  int64_t batch_heads_ = 0, seq_len_ = 0, head_dim_ = 0;
  bool causal_ = false;
  DeviceBuffer scores_;  // S, float32 [B*H, N, N]; P (16-bit) is written over its first half
  DeviceBuffer probs_;   // Y = softmax(S), float32 [B*H, N, N]
  Module softmax_module_, helper_module_;
  std::vector<KernelLaunch> softmax_;
  std::optional<KernelLaunch> mask_;  // causal only
  KernelLaunch cast_;
  std::unique_ptr<CublasHandle> cublas_;
  std::string softmax_choice_;
};

}  // namespace kpg
