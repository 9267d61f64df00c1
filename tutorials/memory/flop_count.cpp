#include "tutorials/memory/flop_count.hpp"

#include <map>

namespace kpg::memory {
namespace {

double dim(const Shape& shape, const char* name) {
  const auto it = shape.dims.find(name);
  return it == shape.dims.end() ? 0.0 : static_cast<double>(it->second);
}

// Flops per element of the [M, N] matrix, per kernel of the row-wise ops.
const std::map<std::string, double>& row_kernel_flops() {
  static const std::map<std::string, double> table{
      // softmax: max (compare), x - max and exp, sum, divide; fused does all five
      {"softmax_row_max", 1}, {"softmax_sub_exp", 2}, {"softmax_row_sum", 1}, {"softmax_div", 1},
      {"softmax_warp", 5}, {"softmax_block", 5}, {"softmax_split", 5}, {"softmax_split_smem", 5},
      {"softmax_online", 5},
      // layernorm: mean (add), x - mean, square-and-add, times rstd, times gamma plus beta
      {"layernorm_row_mean", 1}, {"layernorm_centre", 1}, {"layernorm_row_rstd", 2},
      {"layernorm_normalise", 1}, {"layernorm_affine", 2},
      {"layernorm_warp", 7}, {"layernorm_block", 7}, {"layernorm_warp_ilp", 7}, {"layernorm_block_ilp", 7},
      {"layernorm_warp_lean", 7}, {"layernorm_block_lean", 7}, {"layernorm_block_persist", 7},
      // rmsnorm: square, sum, times rstd, times gamma
      {"rmsnorm_square", 1}, {"rmsnorm_row_rstd", 1}, {"rmsnorm_normalise", 1}, {"rmsnorm_scale", 1},
      {"rmsnorm_warp", 4}, {"rmsnorm_block", 4}, {"rmsnorm_warp_ilp", 4}, {"rmsnorm_block_ilp", 4}};
  return table;
}

}  // namespace

double attention_flops(const Shape& shape) {
  const double full = 4 * dim(shape, "B") * dim(shape, "H") * dim(shape, "N") * dim(shape, "N") * dim(shape, "D");
  return dim(shape, "CAUSAL") != 0 ? full / 2 : full;
}

bool uses_tensor_cores(const std::string& op, const std::string& kernel) {
  return op == "attention" && kernel.starts_with("flash_attn_fwd");
}

double kernel_flops(const std::string& op, const std::string& kernel, const Shape& shape) {
  if (op == "attention" && kernel.starts_with("flash_attn_fwd")) return attention_flops(shape);
  const auto& table = row_kernel_flops();
  const auto it = table.find(kernel);
  if (it == table.end()) return 0;
  return it->second * dim(shape, "M") * dim(shape, "N");
}

}  // namespace kpg::memory
