#include "rules/meta_expr.hpp"

#include <gtest/gtest.h>

#include <map>

namespace portcullis::rules {
namespace {

// Evaluates `text` with the named rules' values; ids are bound in reference order.
std::int64_t eval(const std::string& text, const std::map<std::string, int>& values) {
  std::string error;
  auto expr = MetaExpr::parse(text, error);
  EXPECT_TRUE(expr) << text << ": " << error;
  if (!expr) return -999;
  std::vector<std::uint32_t> bound;
  std::vector<int> table;
  for (const auto& name : expr->references()) {
    bound.push_back(static_cast<std::uint32_t>(table.size()));
    auto it = values.find(name);
    table.push_back(it == values.end() ? 0 : it->second);
  }
  expr->bind(bound);
  return expr->evaluate([&](std::uint32_t i) { return std::int64_t{table[i]}; });
}

std::string parse_error(const std::string& text) {
  std::string error;
  EXPECT_FALSE(MetaExpr::parse(text, error)) << text;
  return error;
}

TEST(MetaExpr, BooleanOperators) {
  EXPECT_EQ(eval("A && B", {{"A", 1}, {"B", 1}}), 1);
  EXPECT_EQ(eval("A && B", {{"A", 1}, {"B", 0}}), 0);
  EXPECT_EQ(eval("A || B", {{"A", 0}, {"B", 1}}), 1);
  EXPECT_EQ(eval("A || B", {}), 0);
  EXPECT_EQ(eval("!A", {{"A", 0}}), 1);
  EXPECT_EQ(eval("!A", {{"A", 1}}), 0);
  EXPECT_EQ(eval("!!A", {{"A", 1}}), 1);
}

TEST(MetaExpr, PrecedenceIsC) {
  // && binds tighter than ||.
  EXPECT_EQ(eval("A || B && C", {{"A", 1}}), 1);
  EXPECT_EQ(eval("(A || B) && C", {{"A", 1}}), 0);
  // ! binds tighter than &&.
  EXPECT_EQ(eval("!A && B", {{"A", 0}, {"B", 1}}), 1);
  // * before +, + before comparisons, comparisons before ==.
  EXPECT_EQ(eval("1 + 2 * 3", {}), 7);
  EXPECT_EQ(eval("(1 + 2) * 3", {}), 9);
  EXPECT_EQ(eval("A + B > 1", {{"A", 1}, {"B", 1}}), 1);
  EXPECT_EQ(eval("A + B > 1", {{"A", 1}}), 0);
  EXPECT_EQ(eval("1 < 2 == 1", {}), 1);
  EXPECT_EQ(eval("-A + 2", {{"A", 1}}), 1);
  EXPECT_EQ(eval("5 - 2 - 1", {}), 2);  // left associative
}

TEST(MetaExpr, CountsLikeSpamAssassin) {
  const std::string text = "(__A + __B + __C + __D) >= 3 && !__E";
  EXPECT_EQ(eval(text, {{"__A", 1}, {"__B", 1}, {"__C", 1}}), 1);
  EXPECT_EQ(eval(text, {{"__A", 1}, {"__B", 1}}), 0);
  EXPECT_EQ(eval(text, {{"__A", 1}, {"__B", 1}, {"__C", 1}, {"__E", 1}}), 0);
  EXPECT_EQ(eval("A == 0", {}), 1);
  EXPECT_EQ(eval("A != 0", {{"A", 1}}), 1);
  EXPECT_EQ(eval("A <= 0", {}), 1);
  EXPECT_EQ(eval("A < 1", {{"A", 1}}), 0);
}

TEST(MetaExpr, ReferencesAreDistinctInOrder) {
  std::string error;
  auto expr = MetaExpr::parse("B && A || B && C_1", error);
  ASSERT_TRUE(expr) << error;
  EXPECT_EQ(expr->references(), (std::vector<std::string>{"B", "A", "C_1"}));
}

TEST(MetaExpr, SyntaxErrorsSayWhere) {
  EXPECT_EQ(parse_error("A &&"), "expression ends early at 4");
  EXPECT_EQ(parse_error("A & B"), "unexpected '&' at 2");
  EXPECT_EQ(parse_error("(A || B"), "missing ')' at 7");
  EXPECT_EQ(parse_error("A B"), "unexpected 'B' at 2");
  EXPECT_EQ(parse_error(""), "empty expression at 0");
  EXPECT_EQ(parse_error("A + $"), "unexpected '$' at 4");
  EXPECT_EQ(parse_error("99999999999999999999"), "number too large at 18");
}

TEST(MetaExpr, HostileInputIsBounded) {
  std::string deep(100, '(');
  deep += "A";
  deep += std::string(100, ')');
  EXPECT_NE(parse_error(deep).find("nested deeper than 64"), std::string::npos);
  std::string bangs(100, '!');
  EXPECT_NE(parse_error(bangs + "A").find("nested deeper than 64"), std::string::npos);
  EXPECT_NE(parse_error(std::string(5000, 'A')).find("longer than 4096"), std::string::npos);
  // A long flat sum is fine (the stack stays at two).
  std::string sum = "A";
  for (int i = 0; i < 500; ++i) sum += "+A";
  EXPECT_EQ(eval(sum, {{"A", 1}}), 501);
  // Overflow wraps instead of being undefined.
  EXPECT_NO_FATAL_FAILURE(eval("9223372036854775807 * 9223372036854775807 + 1", {}));
}

}  // namespace
}  // namespace portcullis::rules
