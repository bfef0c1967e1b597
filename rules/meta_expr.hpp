// Meta rule expressions (docs/rules.md "Meta expressions"): rule ids standing for their hit
// count (0 or 1), integer literals, `|| && ! ( )`, comparisons and `+ - *`, with C
// precedence. Parsed once at load into postfix code; evaluated per message with no
// allocation. Untrusted input: the expression text of a rule file. Limits: 4096 bytes and a
// nesting depth of 64, so hostile files cannot exhaust the stack.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis::rules {

class MetaExpr {
 public:
  // Parses `text`; on a syntax error returns nullopt and sets `error` to the reason with the
  // byte offset ("unexpected ')' at 12").
  static std::optional<MetaExpr> parse(std::string_view text, std::string& error);

  // The distinct rule ids the expression names, in first-use order.
  const std::vector<std::string>& references() const { return names_; }
  // After the loader resolved each reference to a rule index (same order as references()).
  void bind(std::vector<std::uint32_t> indexes) { bound_ = std::move(indexes); }
  // Evaluates with `value(rule_index)` giving each referenced rule's hit count (0/1).
  template <class Lookup>
  std::int64_t evaluate(const Lookup& value) const;

 private:
  enum class Op : std::uint8_t {
    kPushRule, kPushConst, kNot, kNeg, kMul, kAdd, kSub,
    kLt, kLe, kGt, kGe, kEq, kNe, kAnd, kOr,
  };
  struct Instr {
    Op op;
    std::int64_t arg = 0;  // kPushRule: index into names_/bound_; kPushConst: the value
  };
  friend class MetaParser;
  std::vector<Instr> code_;
  std::vector<std::string> names_;
  std::vector<std::uint32_t> bound_;
  std::size_t max_stack_ = 0;

  static std::int64_t apply(Op op, std::int64_t a, std::int64_t b);
};

template <class Lookup>
std::int64_t MetaExpr::evaluate(const Lookup& value) const {
  // Depth is bounded by the parser (max_stack_ <= 130); a fixed array keeps this allocation-free.
  std::int64_t stack[160];
  std::size_t top = 0;
  for (const Instr& in : code_) {
    switch (in.op) {
      case Op::kPushRule:
        stack[top++] = value(bound_[static_cast<std::size_t>(in.arg)]);
        break;
      case Op::kPushConst:
        stack[top++] = in.arg;
        break;
      case Op::kNot:
        stack[top - 1] = stack[top - 1] == 0 ? 1 : 0;
        break;
      case Op::kNeg:
        stack[top - 1] = -stack[top - 1];
        break;
      default: {
        const std::int64_t b = stack[--top];
        stack[top - 1] = apply(in.op, stack[top - 1], b);
      }
    }
  }
  return top == 0 ? 0 : stack[top - 1];
}

}  // namespace portcullis::rules
