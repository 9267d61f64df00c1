#include "tutorials/attention/standard_attention.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <sstream>

#include "runtime/error.hpp"
#include "tuner/space.hpp"
#include "tuner/workload.hpp"
#include "tutorials/attention/cublas_loader.hpp"

namespace kpg {
namespace {

constexpr unsigned kHelperThreads = 256;  // THREADS of attention/standard.cu
// Rows of the softmax workload the tuner times: enough to fill the GPU many times over,
// small enough that its buffers (x, y and the unfused scratch) stay under 1 GB.
constexpr int64_t kSoftmaxTuneElements = int64_t{1} << 26;
// Kept free besides S and Y: cuBLAS workspace, modules, the timer's L2 flush buffer.
constexpr size_t kMemoryMargin = size_t{512} << 20;

template <class T>
uint64_t to_slot(T value) {
  static_assert(sizeof(T) <= sizeof(uint64_t) && std::is_trivially_copyable_v<T>);
  uint64_t slot = 0;
  std::memcpy(&slot, &value, sizeof(T));
  return slot;
}

std::string gb(int64_t bytes) { return fmt::format("{:.1f} GB", static_cast<double>(bytes) / 1e9); }

cudaDataType cuda_type(DType t) {
  switch (t) {
    case DType::f16: return CUDA_R_16F;
    case DType::bf16: return CUDA_R_16BF;
    default: break;
  }
  throw InputError("standard attention takes f16 or bf16, not " + std::string(dtype_name(t)));
}

const char* dtype_define(DType t) { return t == DType::bf16 ? "KPG_DTYPE_BF16" : "KPG_DTYPE_F16"; }

int to_int(int64_t v, const char* what) {
  if (v > std::numeric_limits<int>::max()) throw Error(std::string(what) + " exceeds cuBLAS's int range");
  return static_cast<int>(v);
}

// The fused softmax's configuration for rows of length N: what the tuner picks (or the
// cache, the nearest tuned shape, the default, per `tune`) on a workload with fewer rows
// than S has. The geometry of every fused space depends on N alone besides the grid.
TuneResult choose_softmax(const StandardAttentionSetup& setup, const VariantSpec& fused, int64_t rows, int64_t n) {
  Shape tune_shape;
  tune_shape.dtype = DType::f32;
  tune_shape.dims = {{"M", std::clamp<int64_t>(kSoftmaxTuneElements / n, 1, rows)}, {"N", n}};
  Workload workload(setup.softmax_config, tune_shape, setup.gpu.limits());
  workload.randomize(setup.tune.seed ? setup.tune.seed : std::random_device{}());
  setup.tuner.ensure_reference(setup.softmax_config, workload);
  return setup.tuner.tune(setup.softmax_config, fused, workload, setup.tune);
}

}  // namespace

void StandardAttention::KernelLaunch::launch(CUstream stream) const {
  LaunchConfig c = config;
  c.stream = stream;
  function.launch_raw(c, pointers.data());
}

std::string StandardAttention::KernelLaunch::describe() const {
  const auto& g = config.grid;
  const auto& b = config.block;
  return fmt::format("{}<<<({},{},{}),({},{},{}),{}>>>", function.name(), g[0], g[1], g[2], b[0], b[1], b[2],
                     config.shared_bytes);
}

int64_t standard_attention_score_bytes(const Shape& s) {
  const int64_t n = s.dims.at("N");
  return 2 * s.dims.at("B") * s.dims.at("H") * n * n * static_cast<int64_t>(sizeof(float));
}

std::optional<std::string> standard_attention_memory_problem(const Shape& s) {
  const int64_t need = standard_attention_score_bytes(s);
  const MemoryInfo info = memory_info();
  if (static_cast<size_t>(need) + kMemoryMargin <= info.free) return std::nullopt;
  return "out of memory: S and P need " + gb(need) + ", " + gb(static_cast<int64_t>(info.free)) + " free of " +
         gb(static_cast<int64_t>(info.total));
}

StandardAttention::StandardAttention(const StandardAttentionSetup& setup, const Shape& shape) : shape_(shape) {
  const auto& d = shape.dims;
  batch_heads_ = d.at("B") * d.at("H");
  seq_len_ = d.at("N");
  head_dim_ = d.at("D");
  causal_ = d.count("CAUSAL") && d.at("CAUSAL") != 0;
  cuda_type(shape.dtype);  // rejects f32 before anything is allocated
  cublas();                // a missing cuBLAS is reported before the softmax is tuned
  if (auto problem = standard_attention_memory_problem(shape)) throw Error("standard attention: " + *problem);

  // Softmax over the B*H*N rows of S, float32.
  const VariantSpec* fused = setup.softmax_config.find_variant("fused");
  if (!fused) throw Error(setup.softmax_config.file.string() + " has no variant 'fused'");
  const int64_t rows = batch_heads_ * seq_len_;
  const TuneResult tuned = choose_softmax(setup, *fused, rows, seq_len_);
  Shape softmax_shape;
  softmax_shape.dtype = DType::f32;
  softmax_shape.dims = {{"M", rows}, {"N", seq_len_}};
  std::optional<Candidate> chosen;
  for (auto& c : enumerate(setup.softmax_config, *fused, softmax_shape, setup.gpu.limits(), nullptr))
    if (c.id() == tuned.chosen.id()) chosen = c;
  softmax_choice_ = tuned.chosen.id() + " (" + std::string(to_string(tuned.source)) + ")";
  if (!chosen) {
    chosen = default_candidate(setup.softmax_config, *fused, softmax_shape, setup.gpu.limits());
    if (!chosen) throw Error("softmax has no valid configuration for rows of " + std::to_string(seq_len_));
    softmax_choice_ = chosen->id() + " (config default)";
  }

  // S and Y: allocated before compiling, so an allocation failure costs no compile time.
  const size_t matrix_bytes = static_cast<size_t>(rows * seq_len_) * sizeof(float);
  scores_ = DeviceBuffer(matrix_bytes);
  probs_ = DeviceBuffer(matrix_bytes);

  const CompiledKernel softmax_bin =
      setup.compiler.compile_file(fused->spaces.at(chosen->space_index).source,
                                  setup.tuner.compile_options(setup.softmax_config, *chosen, softmax_shape));
  softmax_module_ = Module::load(softmax_bin.image);
  const Scope scope = make_scope(softmax_shape, chosen->params, setup.gpu.limits());
  for (const auto& spec : fused->spaces.at(chosen->space_index).launches) {
    KernelLaunch k{softmax_module_.function(spec.kernel), {}, {}, {}};
    for (size_t i = 0; i < spec.grid.size() && i < 3; ++i) k.config.grid[i] = static_cast<unsigned>(spec.grid[i].eval_int(scope));
    for (size_t i = 0; i < spec.block.size() && i < 3; ++i) k.config.block[i] = static_cast<unsigned>(spec.block[i].eval_int(scope));
    k.config.shared_bytes = static_cast<unsigned>(spec.shared_bytes.eval_int(scope));
    for (const auto& arg : spec.args) {
      if (arg.kind == ArgSpec::buffer && (arg.name == "x" || arg.name == "y")) {
        k.slots.push_back(to_slot(arg.name == "x" ? scores_.ptr() : probs_.ptr()));
      } else if (arg.kind == ArgSpec::int32_name && (arg.name == "M" || arg.name == "N")) {
        k.slots.push_back(to_slot(static_cast<int32_t>(arg.name == "M" ? rows : seq_len_)));
      } else {
        throw Error("softmax kernel " + spec.kernel + ": argument '" + arg.name +
                    "' is not one standard attention can pass (x, y, M, N)");
      }
    }
    softmax_.push_back(std::move(k));
  }

  // Mask and cast, in the element type of Q, K, V.
  CompileOptions helper_options;
  helper_options.arch = setup.gpu.props().arch();
  helper_options.defines = {{dtype_define(shape.dtype), "1"}, {"THREADS", std::to_string(kHelperThreads)}};
  helper_options.include_dirs = {setup.kernels_dir};
  helper_module_ =
      Module::load(setup.compiler.compile_file(setup.kernels_dir / kStandardAttentionKernels, helper_options).image);
  if (causal_) {
    mask_.emplace(KernelLaunch{helper_module_.function("attn_causal_mask"), {}, {}, {}});
    mask_->config.grid = {static_cast<unsigned>(rows), 1, 1};
    mask_->config.block = {kHelperThreads, 1, 1};
    mask_->slots = {to_slot(scores_.ptr()), to_slot(static_cast<int32_t>(seq_len_)), to_slot(static_cast<long long>(rows))};
  }
  const long long count = rows * seq_len_;
  const long long quads = (count + 3) / 4;
  const long long blocks = std::min<long long>((quads + kHelperThreads - 1) / kHelperThreads,
                                               int64_t{setup.gpu.props().sm_count} * 16);
  cast_ = KernelLaunch{helper_module_.function("attn_cast_probs"), {}, {}, {}};
  cast_.config.grid = {static_cast<unsigned>(std::max<long long>(blocks, 1)), 1, 1};
  cast_.config.block = {kHelperThreads, 1, 1};
  cast_.slots = {to_slot(probs_.ptr()), to_slot(scores_.ptr()), to_slot(count)};

  for (auto* k : {&cast_, mask_ ? &*mask_ : nullptr}) {
    if (!k) continue;
    for (auto& slot : k->slots) k->pointers.push_back(&slot);
  }
  for (auto& k : softmax_)
    for (auto& slot : k.slots) k.pointers.push_back(&slot);

  cublas_ = std::make_unique<CublasHandle>(setup.gpu.stream());
}

StandardAttention::~StandardAttention() = default;

// S = scale * Q K^T for every (b, h). cuBLAS is column-major: the row-major [N, N] S is the
// column-major S^T = K Q^T, with K and Q (row-major [N, D]) read as column-major [D, N].
void StandardAttention::gemm_scores(CUdeviceptr q, CUdeviceptr k) const {
  const int n = to_int(seq_len_, "N"), d = to_int(head_dim_, "D");
  const float alpha = 1.0f / std::sqrt(static_cast<float>(head_dim_)), beta = 0.0f;
  const cudaDataType t = cuda_type(shape_.dtype);
  KPG_CUBLAS_CHECK(cublas().gemm_strided_batched_ex(
      cublas_->get(), CUBLAS_OP_T, CUBLAS_OP_N, n, n, d, &alpha, reinterpret_cast<const void*>(k), t, d,
      seq_len_ * head_dim_, reinterpret_cast<const void*>(q), t, d, seq_len_ * head_dim_, &beta,
      reinterpret_cast<void*>(scores_.ptr()), CUDA_R_32F, n, seq_len_ * seq_len_, to_int(batch_heads_, "B*H"),
      CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
}

// O = P V: the row-major [N, D] O is the column-major O^T = V^T P^T, V read as column-major
// [D, N] and P (row-major [N, N], 16-bit, over S's memory) as column-major [N, N].
void StandardAttention::gemm_output(CUdeviceptr v, CUdeviceptr o) const {
  const int n = to_int(seq_len_, "N"), d = to_int(head_dim_, "D");
  const float alpha = 1.0f, beta = 0.0f;
  const cudaDataType t = cuda_type(shape_.dtype);
  KPG_CUBLAS_CHECK(cublas().gemm_strided_batched_ex(
      cublas_->get(), CUBLAS_OP_N, CUBLAS_OP_N, d, n, n, &alpha, reinterpret_cast<const void*>(v), t, d,
      seq_len_ * head_dim_, reinterpret_cast<const void*>(scores_.ptr()), t, n, seq_len_ * seq_len_, &beta,
      reinterpret_cast<void*>(o), t, d, seq_len_ * head_dim_, to_int(batch_heads_, "B*H"), CUBLAS_COMPUTE_32F,
      CUBLAS_GEMM_DEFAULT));
}

void StandardAttention::launch(CUdeviceptr q, CUdeviceptr k, CUdeviceptr v, CUdeviceptr o, CUstream stream) const {
  cublas_->set_stream(stream);
  gemm_scores(q, k);
  if (mask_) mask_->launch(stream);
  for (const auto& s : softmax_) s.launch(stream);
  cast_.launch(stream);
  gemm_output(v, o);
}

std::string StandardAttention::describe() const {
  std::ostringstream os;
  os << "cublasGemmStridedBatchedEx (S = scale QK^T, f32 out)";
  if (mask_) os << "; " << mask_->describe();
  for (const auto& s : softmax_) os << "; " << s.describe() << " [" << softmax_choice_ << "]";
  os << "; " << cast_.describe() << "; cublasGemmStridedBatchedEx (O = PV)";
  return os.str();
}

}  // namespace kpg
