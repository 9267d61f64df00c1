#pragma once
// Expressions of the YAML schema (configs/README.md): a number, a name, or a one-key map
// {op: [args]} written as YAML structure, so there is no string language to parse.
// Evaluated in double over a Scope of names (dims, params, device builtins); integer
// operands of floor_div/ceil_div/mod are divided exactly in int64.

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "tuner/config_error.hpp"
#include "tuner/source_loc.hpp"

namespace kpg {

using Scope = std::map<std::string, double, std::less<>>;

class Expr {
 public:
  Expr();  // the literal 0
  static Expr literal(double value, SourceLoc where = {});

  // Throws ConfigError (at the offending node's line and column, with where.key) for an
  // unknown op, wrong arity, a malformed literal or a node that is not an expression, and
  // for YAML aliases that make it cyclic, nested over 64 levels or over 10000 terms.
  static Expr parse(const YAML::Node& node, const SourceLoc& where);

  // ConfigError for unknown names, division by zero, sqrt of a negative number.
  double eval(const Scope& scope) const;
  // As eval(), and ConfigError unless the value is a finite integer.
  int64_t eval_int(const Scope& scope) const;

  std::set<std::string> names() const;
  // Every use of a name with its position, in reading order: for "unknown name" errors.
  std::vector<std::pair<std::string, SourceLoc>> name_uses() const;
  const SourceLoc& loc() const;
  // Flow-YAML form, e.g. "{le: [N, {mul: [VEC, 32]}]}": for messages and hashing.
  std::string to_string() const;

  struct Node;

 private:
  explicit Expr(std::shared_ptr<const Node> node) : node_(std::move(node)) {}
  std::shared_ptr<const Node> node_;
};

}  // namespace kpg
