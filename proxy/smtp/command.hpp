// SMTP command lines from the client (untrusted): an incremental line splitter that enforces
// the 512-octet limit and refuses bare CR / bare LF, and a parser for one command line
// (RFC 5321 4.1 syntax, ESMTP parameters, SMTPUTF8 addresses per RFC 6531).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/smtp/reply.hpp"

namespace portcullis::smtp {

// Splits the client's byte stream into command lines. Only CRLF ends a line. A bare LF ends
// the line as an error (never as a command); a bare CR inside a line poisons that line; an
// over-long line is reported once and skipped through its CRLF without being buffered.
class CommandReader {
 public:
  enum class Status {
    kNeedMore,     // all input consumed, no complete line yet
    kLine,         // line() holds one command line without CRLF
    kTooLong,      // line exceeded max_command_line (500 5.5.2); skipped to its end
    kBareNewline,  // line contained a bare CR or ended with a bare LF (500 5.5.2)
  };
  struct Result {
    Status status;
    std::size_t consumed;
  };

  explicit CommandReader(std::size_t max_line);
  Result feed(std::string_view in);
  // Valid after kLine until the next feed().
  std::string_view line() const { return line_; }

 private:
  std::size_t max_line_;
  std::string line_;
  bool too_long_ = false;
  bool bare_cr_ = false;
  bool pending_cr_ = false;
  bool ready_ = false;
};

enum class Verb {
  kHelo, kEhlo, kMail, kRcpt, kData, kRset, kNoop, kQuit, kHelp, kVrfy, kExpn,
  kStarttls, kAuth, kBdat, kUnknown,
};

struct EsmtpParam {
  std::string keyword;               // upper-cased
  std::optional<std::string> value;  // as sent
};

struct Command {
  Verb verb = Verb::kUnknown;
  std::string verb_text;             // as sent, for logs
  std::string argument;              // raw text after the verb (HELO name, NOOP text …)
  std::string path;                  // MAIL/RCPT mailbox without <>; empty for <> (null sender)
  bool path_non_ascii = false;       // mailbox has UTF-8 (needs SMTPUTF8)
  std::vector<EsmtpParam> params;    // MAIL/RCPT ESMTP parameters
};

struct CommandParse {
  bool ok = false;
  Command command;
  Reply error;  // valid when !ok: 500 5.5.2 / 501 5.5.4 / 502 5.5.1 / 553 5.1.x with a reason
};

// Parses one command line (without CRLF). Verb match is case-insensitive. HELO/EHLO need a
// domain or address literal; MAIL needs "FROM:<path>" and RCPT "TO:<path>" (no space before
// '<' tolerated per RFC, but one is accepted as Postfix does); NUL anywhere → 501.
CommandParse parse_command(std::string_view line);

// RFC 5321 Mailbox (local@domain or local@[literal]); UTF-8 allowed (RFC 6531) when valid.
bool valid_mailbox(std::string_view mailbox);
// RFC 5321 Domain (labels <= 63, total <= 255) or address literal in brackets.
bool valid_domain_or_literal(std::string_view text);

}  // namespace portcullis::smtp
