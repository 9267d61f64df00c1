#include "tuner/expr.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <optional>
#include <string_view>
#include <vector>

#include "tuner/yaml_reader.hpp"

namespace kpg {

enum class Op {
  add, mul, sub, div, floor_div, ceil_div, mod, min, max, pow2_ceil, sqrt, rsqrt,
  eq, ne, lt, le, gt, ge, and_, or_, not_, in, select
};

namespace {

struct OpInfo {
  std::string_view name;
  Op op;
  int min_args, max_args;  // max_args -1: no upper bound
};

constexpr std::array<OpInfo, 23> kOps{{
    {"add", Op::add, 1, -1},        {"mul", Op::mul, 1, -1},         {"sub", Op::sub, 2, 2},
    {"div", Op::div, 2, 2},         {"floor_div", Op::floor_div, 2, 2}, {"ceil_div", Op::ceil_div, 2, 2},
    {"mod", Op::mod, 2, 2},         {"min", Op::min, 1, -1},         {"max", Op::max, 1, -1},
    {"pow2_ceil", Op::pow2_ceil, 1, 1}, {"sqrt", Op::sqrt, 1, 1},    {"rsqrt", Op::rsqrt, 1, 1},
    {"eq", Op::eq, 2, 2},           {"ne", Op::ne, 2, 2},            {"lt", Op::lt, 2, 2},
    {"le", Op::le, 2, 2},           {"gt", Op::gt, 2, 2},            {"ge", Op::ge, 2, 2},
    {"and", Op::and_, 1, -1},       {"or", Op::or_, 1, -1},          {"not", Op::not_, 1, 1},
    {"in", Op::in, 2, 2},           {"select", Op::select, 3, 3},
}};

const OpInfo* find_op(std::string_view name) {
  for (const auto& info : kOps)
    if (info.name == name) return &info;
  return nullptr;
}

std::string op_names() {
  std::string s;
  for (const auto& info : kOps) s += (s.empty() ? "" : ", ") + std::string(info.name);
  return s;
}

SourceLoc at(const YAML::Node& node, const SourceLoc& where) {
  SourceLoc loc = where;
  const YAML::Mark mark = node.Mark();
  if (mark.line >= 0) {
    loc.line = mark.line + 1;
    loc.column = mark.column + 1;
  }
  return loc;
}

// Decimal integers and floats only: no hex, inf or nan, which YAML users rarely mean.
std::optional<double> parse_number(const std::string& s) {
  if (s.empty() || s.find_first_not_of("0123456789+-.eE") != std::string::npos) return std::nullopt;
  int64_t i = 0;
  const char* begin = s.data() + (s[0] == '+' && (s.size() < 2 || s[1] != '-') ? 1 : 0);  // "+-5" is no number
  const auto [end, ec] = std::from_chars(begin, s.data() + s.size(), i);
  if (ec == std::errc() && end == s.data() + s.size()) return static_cast<double>(i);
  char* stop = nullptr;
  const double d = std::strtod(s.c_str(), &stop);
  if (stop != s.c_str() + s.size() || !std::isfinite(d)) return std::nullopt;
  return d;
}

std::string format_number(double v) {
  if (std::trunc(v) == v && std::fabs(v) < 9.2e18) return std::to_string(static_cast<int64_t>(v));
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

// Exact below 2^53, where double holds every integer.
bool small_integer(double v) { return std::trunc(v) == v && std::fabs(v) < 9007199254740992.0; }

// Integer division rounding toward -infinity (C++ truncates toward zero).
int64_t floor_div_int(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

}  // namespace

struct Expr::Node {
  enum Kind { literal, name, op } kind = literal;
  double value = 0;
  std::string text;  // literal as written, or the name
  Op op_code = Op::add;
  std::string op_name;
  std::vector<std::shared_ptr<const Node>> args;  // for `in`: the value, then the listed values
  SourceLoc loc;
};

namespace {

using NodePtr = std::shared_ptr<const Expr::Node>;

// YAML aliases make an expression a graph: `&e {add: [1, *e]}` is a cycle (endless
// recursion) and doubling aliases nested 40 deep expand to 2^40 nodes (endless parse and
// eval). Both limits are far above what a real grid writes (ours: depth < 15, < 100 nodes).
constexpr int kMaxExprDepth = 64;
constexpr int kMaxExprNodes = 10000;

struct ParseGuard {
  std::vector<YAML::Node> enclosing;  // the maps and lists being parsed, outermost first
  int nodes = 0;
};

NodePtr parse_node(const YAML::Node& yaml, const SourceLoc& where, ParseGuard& guard) {
  auto node = std::make_shared<Expr::Node>();
  node->loc = at(yaml, where);
  const auto fail = [&](const std::string& what) { throw ConfigError(node->loc, what); };
  for (const auto& outer : guard.enclosing)
    if (outer.is(yaml)) fail("a YAML alias refers to an expression that contains it (a cycle)");
  if (static_cast<int>(guard.enclosing.size()) >= kMaxExprDepth)
    fail("expression nested deeper than " + std::to_string(kMaxExprDepth) + " levels");
  if (++guard.nodes > kMaxExprNodes)
    fail("expression larger than " + std::to_string(kMaxExprNodes) + " terms once YAML aliases are expanded");
  if (!yaml.IsDefined() || yaml.IsNull()) fail("expected an expression (a number, a name or {op: [args]}), got nothing");
  if (yaml.IsSequence()) fail("expected an expression (a number, a name or {op: [args]}), got a list");
  if (yaml.IsScalar()) {
    const std::string& s = yaml.Scalar();
    if (const auto v = parse_number(s)) {
      node->kind = Expr::Node::literal;
      node->value = *v;
      node->text = s;
    } else if (is_identifier(s)) {
      node->kind = Expr::Node::name;
      node->text = s;
    } else {
      fail("expected a number, a name or {op: [args]}, got '" + s + "'");
    }
    return node;
  }
  // A map: exactly one key, the op.
  if (yaml.size() != 1)
    fail("an expression map has exactly one key, the op (" + op_names() + "); got " + std::to_string(yaml.size()));
  YAML::Node key, args;  // copied out: yaml-cpp's iterator operator-> returns a dangling proxy
  for (const auto& kv : yaml) {
    key = kv.first;
    args = kv.second;
  }
  if (!key.IsScalar()) fail("an expression's op must be a name");
  const std::string name = key.Scalar();
  const OpInfo* info = find_op(name);
  if (!info) {
    node->loc = at(key, where);
    fail("unknown op '" + name + "'; expected one of " + op_names());
  }
  node->kind = Expr::Node::op;
  node->op_code = info->op;
  node->op_name = name;
  std::vector<YAML::Node> items;
  if (args.IsSequence())
    for (const auto& a : args) items.push_back(a);
  else
    items.push_back(args);  // a single argument may be written without brackets
  const int n = static_cast<int>(items.size());
  if (n < info->min_args || (info->max_args >= 0 && n > info->max_args)) {
    std::string expected = info->min_args == info->max_args ? std::to_string(info->min_args)
                           : info->max_args < 0             ? std::to_string(info->min_args) + " or more"
                                                            : std::to_string(info->min_args) + " to " + std::to_string(info->max_args);
    fail("'" + name + "' takes " + expected + " argument(s), got " + std::to_string(n));
  }
  guard.enclosing.push_back(yaml);
  if (info->op == Op::in) {
    node->args.push_back(parse_node(items[0], where, guard));
    if (!items[1].IsSequence() || items[1].size() == 0)
      throw ConfigError(at(items[1], where), "'in' expects {in: [value, [v1, v2, ...]]} with a non-empty list");
    for (const auto& v : items[1]) node->args.push_back(parse_node(v, where, guard));
  } else {
    for (const auto& a : items) node->args.push_back(parse_node(a, where, guard));
  }
  guard.enclosing.pop_back();
  return node;
}

double eval_node(const Expr::Node& n, const Scope& scope) {
  if (n.kind == Expr::Node::literal) return n.value;
  if (n.kind == Expr::Node::name) {
    const auto it = scope.find(n.text);
    if (it == scope.end()) throw ConfigError(n.loc, "unknown name '" + n.text + "'");
    return it->second;
  }
  const auto arg = [&](size_t i) { return eval_node(*n.args[i], scope); };
  const auto nonzero_divisor = [&](double b) {
    if (b == 0) throw ConfigError(n.loc, "division by zero in " + n.op_name + " (the divisor evaluated to 0)");
  };
  // Sizes, counts and byte totals are int64 in the end: a result beyond that is an
  // overflow, reported here rather than as a wrong launch later.
  const auto in_range = [&](double v) {
    if (!std::isfinite(v) || std::fabs(v) >= 9.2e18)
      throw ConfigError(n.loc, "overflow in " + n.op_name + ": the result (" + format_number(v) +
                                   ") is beyond the 64-bit integer range");
    return v;
  };
  switch (n.op_code) {
    case Op::add: {
      double s = 0;
      for (size_t i = 0; i < n.args.size(); ++i) s += arg(i);
      return in_range(s);
    }
    case Op::mul: {
      double p = 1;
      for (size_t i = 0; i < n.args.size(); ++i) p *= arg(i);
      return in_range(p);
    }
    case Op::sub: return in_range(arg(0) - arg(1));
    case Op::div: {
      const double a = arg(0), b = arg(1);
      nonzero_divisor(b);
      return in_range(a / b);
    }
    case Op::floor_div:
    case Op::ceil_div:
    case Op::mod: {
      const double a = arg(0), b = arg(1);
      nonzero_divisor(b);
      if (small_integer(a) && small_integer(b)) {
        const auto ia = static_cast<int64_t>(a), ib = static_cast<int64_t>(b);
        if (n.op_code == Op::floor_div) return static_cast<double>(floor_div_int(ia, ib));
        if (n.op_code == Op::ceil_div) return static_cast<double>(-floor_div_int(-ia, ib));
        return static_cast<double>(ia - floor_div_int(ia, ib) * ib);
      }
      if (n.op_code == Op::floor_div) return std::floor(a / b);
      if (n.op_code == Op::ceil_div) return std::ceil(a / b);
      return a - b * std::floor(a / b);
    }
    case Op::min:
    case Op::max: {
      double m = arg(0);
      for (size_t i = 1; i < n.args.size(); ++i) m = n.op_code == Op::min ? std::min(m, arg(i)) : std::max(m, arg(i));
      return m;
    }
    case Op::pow2_ceil: {
      const double a = arg(0);
      if (!(a < 4.6e18)) throw ConfigError(n.loc, "pow2_ceil of " + format_number(a) + " is too large");
      double p = 1;
      while (p < a) p *= 2;
      return p;
    }
    case Op::sqrt:
    case Op::rsqrt: {
      const double a = arg(0);
      if (a < 0 || (n.op_code == Op::rsqrt && a == 0))
        throw ConfigError(n.loc, n.op_name + " of " + format_number(a) + " is undefined");
      return n.op_code == Op::sqrt ? std::sqrt(a) : 1.0 / std::sqrt(a);
    }
    case Op::eq: return arg(0) == arg(1);
    case Op::ne: return arg(0) != arg(1);
    case Op::lt: return arg(0) < arg(1);
    case Op::le: return arg(0) <= arg(1);
    case Op::gt: return arg(0) > arg(1);
    case Op::ge: return arg(0) >= arg(1);
    case Op::and_:
      for (size_t i = 0; i < n.args.size(); ++i)
        if (arg(i) == 0) return 0;
      return 1;
    case Op::or_:
      for (size_t i = 0; i < n.args.size(); ++i)
        if (arg(i) != 0) return 1;
      return 0;
    case Op::not_: return arg(0) == 0;
    case Op::in: {
      const double a = arg(0);
      for (size_t i = 1; i < n.args.size(); ++i)
        if (arg(i) == a) return 1;
      return 0;
    }
    case Op::select: return arg(0) != 0 ? arg(1) : arg(2);  // only the chosen branch is evaluated
  }
  return 0;
}

void collect_names(const Expr::Node& n, std::set<std::string>& out) {
  if (n.kind == Expr::Node::name) out.insert(n.text);
  for (const auto& a : n.args) collect_names(*a, out);
}

void collect_uses(const Expr::Node& n, std::vector<std::pair<std::string, SourceLoc>>& out) {
  if (n.kind == Expr::Node::name) out.emplace_back(n.text, n.loc);
  for (const auto& a : n.args) collect_uses(*a, out);
}

void write(const Expr::Node& n, std::ostream& os) {
  if (n.kind != Expr::Node::op) {
    os << n.text;
    return;
  }
  os << '{' << n.op_name << ": [";
  for (size_t i = 0; i < n.args.size(); ++i) {
    if (i > 0) os << ", ";
    if (n.op_code == Op::in && i == 1) os << '[';
    write(*n.args[i], os);
  }
  if (n.op_code == Op::in) os << ']';
  os << "]}";
}

}  // namespace

Expr::Expr() : Expr(literal(0)) {}

Expr Expr::literal(double value, SourceLoc where) {
  auto node = std::make_shared<Node>();
  node->kind = Node::literal;
  node->value = value;
  node->text = format_number(value);
  node->loc = std::move(where);
  return Expr(std::move(node));
}

Expr Expr::parse(const YAML::Node& node, const SourceLoc& where) {
  ParseGuard guard;
  return Expr(parse_node(node, where, guard));
}

double Expr::eval(const Scope& scope) const { return eval_node(*node_, scope); }

int64_t Expr::eval_int(const Scope& scope) const {
  const double v = eval(scope);
  if (!std::isfinite(v) || std::trunc(v) != v || std::fabs(v) >= 9.2e18)
    throw ConfigError(node_->loc, "must evaluate to an integer, got " + format_number(v) + " from " + to_string());
  return static_cast<int64_t>(v);
}

std::set<std::string> Expr::names() const {
  std::set<std::string> out;
  collect_names(*node_, out);
  return out;
}

std::vector<std::pair<std::string, SourceLoc>> Expr::name_uses() const {
  std::vector<std::pair<std::string, SourceLoc>> out;
  collect_uses(*node_, out);
  return out;
}

const SourceLoc& Expr::loc() const { return node_->loc; }

std::string Expr::to_string() const {
  std::ostringstream os;
  write(*node_, os);
  return os.str();
}

}  // namespace kpg
