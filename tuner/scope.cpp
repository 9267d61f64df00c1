#include "tuner/scope.hpp"

namespace kpg {

const std::vector<std::string>& builtin_names() {
  static const std::vector<std::string> names{"ELEM_BYTES", "SM_COUNT", "MAX_THREADS", "SMEM_OPTIN", "L2_BYTES", "WARP"};
  return names;
}

Scope make_scope(const Shape& shape, const ParamSet& params, const DeviceLimits& limits) {
  Scope scope;
  for (const auto& [name, value] : shape.dims) scope[name] = static_cast<double>(value);
  for (const auto& [name, value] : params) scope[name] = static_cast<double>(value);
  scope["ELEM_BYTES"] = static_cast<double>(dtype_bytes(shape.dtype));
  scope["SM_COUNT"] = limits.sm_count;
  scope["MAX_THREADS"] = limits.max_threads_per_block;
  scope["SMEM_OPTIN"] = limits.smem_optin;
  scope["L2_BYTES"] = static_cast<double>(limits.l2_bytes);
  scope["WARP"] = 32;
  return scope;
}

}  // namespace kpg
