#pragma once
// What a config's expressions see at a shape: its dims, a candidate's params and the
// device's limits under fixed names.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tuner/expr.hpp"
#include "tuner/shape.hpp"

namespace kpg {

struct DeviceLimits {
  int max_threads_per_block = 1024;
  int smem_optin = 227 * 1024;  // bytes of shared memory a block may opt into
  int regs_per_block = 65536;
  int sm_count = 132;
  int64_t l2_bytes = 50 << 20;
  // major * 10 + minor of the card that will run the candidates: spaces whose own `arch`
  // cannot load there are pruned. 0: no card (compiling only): every space is kept.
  int compute_capability = 0;
};

using ParamSet = std::map<std::string, int64_t>;

// Names every expression may use besides dims and params.
const std::vector<std::string>& builtin_names();  // ELEM_BYTES, SM_COUNT, MAX_THREADS, SMEM_OPTIN, L2_BYTES, WARP

// dims, params, ELEM_BYTES (of the shape's dtype), SM_COUNT, MAX_THREADS, SMEM_OPTIN, L2_BYTES, WARP.
Scope make_scope(const Shape& shape, const ParamSet& params, const DeviceLimits& limits);

}  // namespace kpg
