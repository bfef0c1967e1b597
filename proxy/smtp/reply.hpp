// SMTP replies: the value type, formatting of our own replies (RFC 5321 4.2, RFC 2034
// enhanced codes), and an incremental parser for replies read from the backend MTA.
// Backend replies are untrusted: every line is bounded by Limits, codes must be three
// digits 2xx-5xx and equal across a multi-line reply (else a protocol error).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/smtp/limits.hpp"

namespace portcullis::smtp {

struct Reply {
  int code = 0;                    // 200..599
  std::vector<std::string> lines;  // text after "NNN-" / "NNN ", without CRLF; at least one

  bool positive() const { return code >= 200 && code < 400; }
  bool transient() const { return code >= 400 && code < 500; }
  bool permanent() const { return code >= 500 && code < 600; }
  // Wire form: "250-a\r\n250 b\r\n".
  std::string serialize() const;
};

// One-line reply; `enhanced` (e.g. "5.7.1") is placed after the code when non-empty.
Reply make_reply(int code, std::string_view enhanced, std::string_view text);

// Incremental parser for one reply. Feed it bytes (any split, down to one byte at a time);
// it consumes what belongs to the current reply and stops at its end.
class ReplyParser {
 public:
  enum class Status { kNeedMore, kOk, kError };
  struct Result {
    Status status;
    std::size_t consumed;  // bytes of the input used by this call
  };

  explicit ReplyParser(const Limits& limits);
  Result feed(std::string_view in);
  // Valid after kOk; moves the reply out and resets the parser for the next reply.
  Reply take();
  // Valid after kError: what was wrong, for logs.
  const std::string& error() const { return error_; }
  void reset();

 private:
  std::size_t max_line_;
  std::size_t max_lines_;
  std::string line_;
  Reply reply_;
  std::string error_;
  bool done_ = false;
};

}  // namespace portcullis::smtp
