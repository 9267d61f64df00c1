#pragma once
// A tensor-map argument of a launch (`{tensor_map: x, box: [...]}`, ArgSpec::tensor_map) at
// one shape and candidate: the layout it describes, why the driver would refuse it (what
// enumerate() prunes a candidate for) and how a plan shows it.

#include <optional>
#include <string>

#include "runtime/tensor_map.hpp"
#include "tuner/config.hpp"
#include "tuner/expr.hpp"

namespace kpg {

// Its buffer's element type at `shape`, its view's (else its buffer's) dims, its box and
// swizzle, evaluated in `scope` (make_scope of the shape and the candidate's params).
// ConfigError when an expression does not evaluate to an integer, or when the view holds
// a different number of elements than the buffer.
TensorMapLayout tensor_map_layout(const ArgSpec& arg, const Shape& shape, const Scope& scope);

// The first tensor map of the space's launches that cannot be encoded at this shape and
// candidate, as "launch k: tensor map of x: <why>", if one cannot.
std::optional<std::string> tensor_map_problem(const SpaceSpec& space, const Shape& shape, const Scope& scope);

// "tmap(x,[64,128],sw128)": the buffer, the box, the swizzle when there is one.
std::string describe_tensor_map(const std::string& buffer, const TensorMapLayout& layout);

}  // namespace kpg
