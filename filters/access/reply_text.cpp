#include "filters/access/reply_text.hpp"

#include "config/syntax.hpp"

namespace portcullis::filters::access {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// 1-3 digits without a leading zero (RFC 3463: subject and detail are 1*3digit; "0" alone
// is a valid value).
bool valid_number(std::string_view s) {
  if (s.empty() || s.size() > 3) return false;
  if (s.size() > 1 && s[0] == '0') return false;
  for (char c : s) {
    if (!is_digit(c)) return false;
  }
  return true;
}

}  // namespace

std::optional<ReplyText> parse_reply_text(std::string_view reply, std::string& why_not) {
  const std::string got = config::detail::quoted(reply);
  auto fail = [&](std::string message) -> std::optional<ReplyText> {
    why_not = std::move(message);
    return std::nullopt;
  };
  const std::string shape =
      "expected a reply like \"554 5.7.1 Access denied\" (a 4xx or 5xx code, an enhanced "
      "status code and text), got " +
      got;
  if (reply.size() > kMaxReplyText) {
    return fail("the reply is " + std::to_string(reply.size()) + " bytes, at most " +
                std::to_string(kMaxReplyText) + " are allowed");
  }
  if (reply.size() < 4 || !is_digit(reply[0]) || !is_digit(reply[1]) || !is_digit(reply[2]) ||
      reply[3] != ' ') {
    return fail(shape);
  }
  ReplyText out;
  out.code = (reply[0] - '0') * 100 + (reply[1] - '0') * 10 + (reply[2] - '0');
  if (reply[0] != '4' && reply[0] != '5') {
    return fail("expected a 4xx or 5xx reply code (a refusal), got " + got);
  }
  std::string_view rest = reply.substr(4);
  const std::size_t space = rest.find(' ');
  const std::string_view enhanced = rest.substr(0, space);
  const std::size_t dot1 = enhanced.find('.');
  const std::size_t dot2 = dot1 == std::string_view::npos ? dot1 : enhanced.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || dot1 != 1 || (enhanced[0] != '4' && enhanced[0] != '5') ||
      !valid_number(enhanced.substr(2, dot2 - 2)) || !valid_number(enhanced.substr(dot2 + 1))) {
    return fail(shape);
  }
  if (enhanced[0] != reply[0]) {
    return fail("the enhanced status code " + std::string(enhanced) +
                " does not match reply code " + std::to_string(out.code) + " (its class must be " +
                std::string(1, reply[0]) + "), got " + got);
  }
  if (space == std::string_view::npos) return fail(shape);
  const std::string_view text = rest.substr(space + 1);
  if (text.empty() || text.front() == ' ') return fail(shape);
  for (char c : text) {
    if (c < ' ' || c > '~') {
      return fail("the reply text must be printable ASCII, got " + got);
    }
  }
  out.enhanced = std::string(enhanced);
  out.text = std::string(text);
  return out;
}

}  // namespace portcullis::filters::access
