#include "rules/meta_expr.hpp"

#include <cctype>
#include <limits>

namespace portcullis::rules {
namespace {

constexpr std::size_t kMaxLength = 4096;
constexpr int kMaxDepth = 64;
constexpr std::size_t kMaxStack = 160;  // MetaExpr::evaluate's fixed stack

bool is_id_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool is_id_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

}  // namespace

// Recursive descent, one function per precedence level (loosest first), emitting postfix.
class MetaParser {
 public:
  MetaParser(std::string_view text, MetaExpr& out) : text_(text), out_(out) {}

  bool run(std::string& error) {
    if (text_.size() > kMaxLength) return fail(0, "expression longer than 4096 bytes", error);
    skip_space();
    if (pos_ == text_.size()) return fail(0, "empty expression", error);
    if (!parse_or()) return fail(err_pos_, err_, error);
    skip_space();
    if (pos_ != text_.size()) {
      return fail(pos_, "unexpected '" + std::string(1, text_[pos_]) + "'", error);
    }
    out_.max_stack_ = max_depth_;
    return true;
  }

 private:
  using Op = MetaExpr::Op;

  static bool fail(std::size_t at, const std::string& why, std::string& error) {
    error = why + " at " + std::to_string(at);
    return false;
  }
  bool error_here(std::string why) {
    if (err_.empty()) {
      err_ = std::move(why);
      err_pos_ = pos_;
    }
    return false;
  }
  void skip_space() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  bool take(std::string_view token) {
    skip_space();
    if (text_.substr(pos_, token.size()) != token) return false;
    // "<" must not eat the first half of "<=", "!" not of "!=", "&" needs "&&".
    pos_ += token.size();
    return true;
  }
  bool peek(std::string_view token) {
    skip_space();
    return text_.substr(pos_, token.size()) == token;
  }
  bool emit(Op op, std::int64_t arg = 0) {
    out_.code_.push_back({op, arg});
    if (op == Op::kPushRule || op == Op::kPushConst) {
      if (++depth_ > max_depth_) max_depth_ = depth_;
      if (depth_ > kMaxStack) return error_here("expression too complex");
    } else if (op != Op::kNot && op != Op::kNeg) {
      --depth_;
    }
    return true;
  }

  bool parse_or() {
    if (!parse_and()) return false;
    while (take("||")) {
      if (!parse_and() || !emit(Op::kOr)) return false;
    }
    return true;
  }
  bool parse_and() {
    if (!parse_equality()) return false;
    while (take("&&")) {
      if (!parse_equality() || !emit(Op::kAnd)) return false;
    }
    return true;
  }
  bool parse_equality() {
    if (!parse_relational()) return false;
    for (;;) {
      Op op;
      if (take("==")) op = Op::kEq;
      else if (take("!=")) op = Op::kNe;
      else return true;
      if (!parse_relational() || !emit(op)) return false;
    }
  }
  bool parse_relational() {
    if (!parse_additive()) return false;
    for (;;) {
      Op op;
      if (take("<=")) op = Op::kLe;
      else if (take(">=")) op = Op::kGe;
      else if (take("<")) op = Op::kLt;
      else if (take(">")) op = Op::kGt;
      else return true;
      if (!parse_additive() || !emit(op)) return false;
    }
  }
  bool parse_additive() {
    if (!parse_multiplicative()) return false;
    for (;;) {
      Op op;
      if (take("+")) op = Op::kAdd;
      else if (take("-")) op = Op::kSub;
      else return true;
      if (!parse_multiplicative() || !emit(op)) return false;
    }
  }
  bool parse_multiplicative() {
    if (!parse_unary()) return false;
    while (take("*")) {
      if (!parse_unary() || !emit(Op::kMul)) return false;
    }
    return true;
  }
  bool parse_unary() {
    if (peek("!=")) return error_here("unexpected '!='");
    if (take("!")) return nested([&] { return parse_unary() && emit(Op::kNot); });
    if (take("-")) return nested([&] { return parse_unary() && emit(Op::kNeg); });
    return parse_primary();
  }
  template <class F>
  bool nested(F f) {
    if (++nesting_ > kMaxDepth) return error_here("expression nested deeper than 64");
    const bool ok = f();
    --nesting_;
    return ok;
  }
  bool parse_primary() {
    skip_space();
    if (pos_ == text_.size()) return error_here("expression ends early");
    const char c = text_[pos_];
    if (c == '(') {
      ++pos_;
      if (!nested([&] { return parse_or(); })) return false;
      if (!take(")")) return error_here("missing ')'");
      return true;
    }
    if (std::isdigit(static_cast<unsigned char>(c))) {
      std::int64_t value = 0;
      while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) {
        const int digit = text_[pos_] - '0';
        if (value > (std::numeric_limits<std::int64_t>::max() - digit) / 10) {
          return error_here("number too large");
        }
        value = value * 10 + digit;
        ++pos_;
      }
      return emit(Op::kPushConst, value);
    }
    if (is_id_start(c)) {
      const std::size_t start = pos_;
      while (pos_ < text_.size() && is_id_char(text_[pos_])) ++pos_;
      const std::string name(text_.substr(start, pos_ - start));
      std::size_t index = 0;
      while (index < out_.names_.size() && out_.names_[index] != name) ++index;
      if (index == out_.names_.size()) out_.names_.push_back(name);
      return emit(Op::kPushRule, static_cast<std::int64_t>(index));
    }
    return error_here("unexpected '" + std::string(1, c) + "'");
  }

  std::string_view text_;
  MetaExpr& out_;
  std::size_t pos_ = 0;
  int nesting_ = 0;
  std::size_t depth_ = 0;
  std::size_t max_depth_ = 0;
  std::string err_;
  std::size_t err_pos_ = 0;
};

std::optional<MetaExpr> MetaExpr::parse(std::string_view text, std::string& error) {
  MetaExpr expr;
  MetaParser parser(text, expr);
  if (!parser.run(error)) return std::nullopt;
  return expr;
}

std::int64_t MetaExpr::apply(Op op, std::int64_t a, std::int64_t b) {
  // Wrapping arithmetic: a hostile file must not reach signed-overflow UB.
  const auto ua = static_cast<std::uint64_t>(a);
  const auto ub = static_cast<std::uint64_t>(b);
  switch (op) {
    case Op::kMul: return static_cast<std::int64_t>(ua * ub);
    case Op::kAdd: return static_cast<std::int64_t>(ua + ub);
    case Op::kSub: return static_cast<std::int64_t>(ua - ub);
    case Op::kLt: return a < b;
    case Op::kLe: return a <= b;
    case Op::kGt: return a > b;
    case Op::kGe: return a >= b;
    case Op::kEq: return a == b;
    case Op::kNe: return a != b;
    case Op::kAnd: return a != 0 && b != 0;
    case Op::kOr: return a != 0 || b != 0;
    default: return 0;
  }
}

}  // namespace portcullis::rules
