// Expressions: every op, integer semantics, laziness, and errors with their position.

#include <gtest/gtest.h>

#include <cmath>

#include "tuner/expr.hpp"

namespace kpg {
namespace {

Expr parse(const std::string& yaml) { return Expr::parse(YAML::Load(yaml), {"test.yaml", 0, 0, "expr"}); }

double eval(const std::string& yaml, const Scope& scope = {}) { return parse(yaml).eval(scope); }

TEST(Expr, LiteralsAndNames) {
  EXPECT_EQ(eval("42"), 42);
  EXPECT_EQ(eval("-7"), -7);
  EXPECT_DOUBLE_EQ(eval("1.5e-3"), 1.5e-3);
  EXPECT_EQ(eval("N", {{"N", 781}}), 781);
  EXPECT_EQ(parse("{add: [N, {mul: [VEC, 32]}]}").names(), (std::set<std::string>{"N", "VEC"}));
}

TEST(Expr, Arithmetic) {
  EXPECT_EQ(eval("{add: [1, 2, 3]}"), 6);
  EXPECT_EQ(eval("{mul: [2, 3, 4]}"), 24);
  EXPECT_EQ(eval("{sub: [2, 5]}"), -3);
  EXPECT_DOUBLE_EQ(eval("{div: [7, 2]}"), 3.5);
  EXPECT_EQ(eval("{min: [4, 2, 9]}"), 2);
  EXPECT_EQ(eval("{max: [4, 2, 9]}"), 9);
  EXPECT_EQ(eval("{sqrt: [16]}"), 4);
  EXPECT_DOUBLE_EQ(eval("{rsqrt: [64]}"), 0.125);
}

TEST(Expr, IntegerDivisionRoundsLikeMath) {
  EXPECT_EQ(eval("{floor_div: [7, 2]}"), 3);
  EXPECT_EQ(eval("{floor_div: [-7, 2]}"), -4);
  EXPECT_EQ(eval("{ceil_div: [7, 2]}"), 4);
  EXPECT_EQ(eval("{ceil_div: [8, 2]}"), 4);
  EXPECT_EQ(eval("{ceil_div: [-7, 2]}"), -3);
  EXPECT_EQ(eval("{mod: [7, 3]}"), 1);
  EXPECT_EQ(eval("{mod: [-7, 3]}"), 2);  // sign of the divisor, as Python
  // Exact in int64 where double division would round: (2^53 - 1) / 1 stays odd.
  EXPECT_EQ(parse("{ceil_div: [9007199254740991, 1]}").eval_int({}), 9007199254740991LL);
  EXPECT_EQ(eval("{ceil_div: [2.5, 1]}"), 3);  // non-integers round the real quotient
}

TEST(Expr, Pow2CeilComparisonsAndLogic) {
  EXPECT_EQ(eval("{pow2_ceil: [1]}"), 1);
  EXPECT_EQ(eval("{pow2_ceil: [0]}"), 1);
  EXPECT_EQ(eval("{pow2_ceil: [1000]}"), 1024);
  EXPECT_EQ(eval("{pow2_ceil: 1024}"), 1024);  // one argument, no brackets
  EXPECT_EQ(eval("{lt: [1, 2]}"), 1);
  EXPECT_EQ(eval("{le: [2, 2]}"), 1);
  EXPECT_EQ(eval("{gt: [1, 2]}"), 0);
  EXPECT_EQ(eval("{ge: [1, 2]}"), 0);
  EXPECT_EQ(eval("{eq: [3, 3]}"), 1);
  EXPECT_EQ(eval("{ne: [3, 3]}"), 0);
  EXPECT_EQ(eval("{and: [1, 1, 0]}"), 0);
  EXPECT_EQ(eval("{or: [0, 0, 1]}"), 1);
  EXPECT_EQ(eval("{not: [0]}"), 1);
  EXPECT_EQ(eval("{in: [4, [1, 2, 4]]}"), 1);
  EXPECT_EQ(eval("{in: [3, [1, 2, 4]]}"), 0);
  EXPECT_EQ(eval("{select: [{gt: [N, 10]}, 100, 200]}", {{"N", 11}}), 100);
  EXPECT_EQ(eval("{select: [{gt: [N, 10]}, 100, 200]}", {{"N", 10}}), 200);
}

TEST(Expr, OnlyTheChosenBranchIsEvaluated) {
  EXPECT_EQ(eval("{select: [1, 5, {div: [1, 0]}]}"), 5);
  EXPECT_EQ(eval("{and: [0, {div: [1, 0]}]}"), 0);
  EXPECT_EQ(eval("{or: [1, UNDEFINED]}"), 1);
}

TEST(Expr, ToStringIsFlowYaml) {
  EXPECT_EQ(parse("{le: [N, {mul: [VEC, 32, 32]}]}").to_string(), "{le: [N, {mul: [VEC, 32, 32]}]}");
  EXPECT_EQ(parse("{in: [V, [1, 2]]}").to_string(), "{in: [V, [1, 2]]}");
  EXPECT_EQ(Expr::literal(48).to_string(), "48");
  EXPECT_EQ(Expr().eval({}), 0);
}

// Errors point at the sub-expression at fault (1-based line and column).
void expect_error(const std::string& yaml, const Scope& scope, int line, int column, const std::string& message,
                  bool as_int = false) {
  try {
    const Expr e = parse(yaml);
    if (as_int) e.eval_int(scope);
    else e.eval(scope);
    ADD_FAILURE() << "no error for " << yaml;
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.loc.file, "test.yaml");
    EXPECT_EQ(e.loc.key, "expr");
    EXPECT_EQ(e.loc.line, line) << e.what();
    EXPECT_EQ(e.loc.column, column) << e.what();
    EXPECT_NE(e.message().find(message), std::string::npos) << e.what();
  }
}

TEST(Expr, ErrorsCarryTheirPosition) {
  expect_error("{add: [1,\n  {div: [N, 0]}]}", {{"N", 1}}, 2, 3, "division by zero");
  expect_error("{mul: [2, NOPE]}", {}, 1, 11, "unknown name 'NOPE'");
  expect_error("{floor_div: [5, {sub: [N, N]}]}", {{"N", 3}}, 1, 1, "division by zero");
  expect_error("{mod: [5, 0]}", {}, 1, 1, "division by zero");
  expect_error("{div: [N, 2]}", {{"N", 5}}, 1, 1, "must evaluate to an integer, got 2.5", true);
  expect_error("{sqrt: [-1]}", {}, 1, 1, "undefined");
  expect_error("{rsqrt: [0]}", {}, 1, 1, "undefined");
}

// Sizes end as int64: a result beyond that range is an overflow named where it happens,
// not a huge double that a comparison would quietly accept or reject.
TEST(Expr, OverflowIsAnErrorAtTheOpThatOverflows) {
  expect_error("{lt: [{mul: [N, N, N, N, N, N]}, 1]}", {{"N", 4096}}, 1, 7, "overflow in mul");
  expect_error("{add: [N, 9.0e18]}", {{"N", 1.0e18}}, 1, 1, "overflow in add");
  expect_error("{div: [N, 1.0e-300]}", {{"N", 1}}, 1, 1, "overflow in div");
  expect_error("{sub: [0, {mul: [N, N]}]}", {{"N", 4.0e9}}, 1, 11, "overflow in mul");
}

TEST(Expr, MalformedExpressionsAreRejectedAtParse) {
  expect_error("{frobnicate: [1]}", {}, 1, 2, "unknown op 'frobnicate'");
  expect_error("{sub: [1]}", {}, 1, 1, "'sub' takes 2 argument(s), got 1");
  expect_error("{select: [1, 2]}", {}, 1, 1, "'select' takes 3 argument(s)");
  expect_error("{add: []}", {}, 1, 1, "'add' takes 1 or more argument(s), got 0");
  expect_error("{add: [1], mul: [2]}", {}, 1, 1, "exactly one key");
  expect_error("[1, 2]", {}, 1, 1, "got a list");
  expect_error("{in: [1, 2]}", {}, 1, 10, "non-empty list");
  expect_error("3 apples", {}, 1, 1, "got '3 apples'");
  expect_error("0x10", {}, 1, 1, "got '0x10'");
  expect_error("~", {}, 1, 1, "got nothing");
}

}  // namespace
}  // namespace kpg
