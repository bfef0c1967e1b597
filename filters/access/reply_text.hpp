// An SMTP reply written by the operator in the config ("554 5.7.1 Access denied"), checked
// once at load so a filter never sends a malformed reply: a 4xx or 5xx code, an RFC 3463
// enhanced status code of the same class, and printable ASCII text.
// Untrusted input: the config text (the operator's, but it ends up on the wire).
// Limits: the whole reply is at most kMaxReplyText bytes, well inside RFC 5321's 512-octet
// reply line. Gaps: one line only; no UTF-8 text.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace portcullis::filters::access {

inline constexpr std::size_t kMaxReplyText = 400;

struct ReplyText {
  int code = 0;          // 400..599
  std::string enhanced;  // "5.7.1"
  std::string text;      // "Access denied"
  bool operator==(const ReplyText&) const = default;
};

// Parses "CODE ENHANCED TEXT"; on failure why_not says what is wrong in one sentence.
std::optional<ReplyText> parse_reply_text(std::string_view reply, std::string& why_not);

}  // namespace portcullis::filters::access
