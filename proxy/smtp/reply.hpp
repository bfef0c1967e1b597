// SMTP replies: the value type, formatting of our own replies (RFC 5321 4.2, RFC 2034
// enhanced codes), and an incremental parser for replies read from the backend MTA.
// Untrusted input: backend replies. Every line is bounded by Limits (max_reply_line octets
// including CRLF, max_reply_lines lines), must end in CRLF (bare LF / bare CR are errors),
// codes must be three digits 2xx-5xx and equal across a multi-line reply (else a protocol
// error). Our own reply text is sanitised: control characters (CR, LF, NUL …) become spaces,
// so no caller-supplied text can inject a second reply line.
// Gaps: reply text is kept as sent apart from that (the session still caps and filters what
// it relays); 1xx codes are refused since SMTP never uses them.
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
  // Wire form: "250-a\r\n250 b\r\n". Control characters in the text are written as spaces.
  std::string serialize() const;

  bool operator==(const Reply&) const = default;
};

// One-line reply; `enhanced` (e.g. "5.7.1") is placed after the code when non-empty.
// Control characters (CR, LF, NUL, …; not TAB) in `enhanced` and `text` become spaces.
Reply make_reply(int code, std::string_view enhanced, std::string_view text);

// Incremental parser for one reply. Feed it bytes (any split, down to one byte at a time);
// it consumes what belongs to the current reply and stops at its end, so pipelined replies
// after it stay in the caller's buffer.
class ReplyParser {
 public:
  enum class Status { kNeedMore, kOk, kError };
  struct Result {
    Status status;
    std::size_t consumed;  // bytes of the input used by this call; on kError, up to the
                           // octet where the error was found (the line's LF, or the first
                           // octet over max_reply_line)
  };

  explicit ReplyParser(const Limits& limits);
  // After kOk or kError, further calls consume nothing and repeat that status until
  // take()/reset().
  Result feed(std::string_view in);
  // Valid after kOk; moves the reply out and resets the parser for the next reply.
  Reply take();
  // Valid after kError: what was wrong, for logs.
  const std::string& error() const { return error_; }
  void reset();

 private:
  bool finish_line();
  bool fail(const char* why);

  std::size_t max_line_;
  std::size_t max_lines_;
  std::string line_;  // current line so far, CR included, LF not
  Reply reply_;
  std::string error_;
  bool done_ = false;
  bool failed_ = false;
};

}  // namespace portcullis::smtp
