// SMTP command lines from the client (untrusted): an incremental line splitter that enforces
// the 512-octet limit and refuses bare CR / bare LF, and a parser for one command line
// (RFC 5321 4.1 syntax, ESMTP parameters, SMTPUTF8 addresses per RFC 6531).
// Limits: a line never occupies more than max_command_line bytes of memory, however long it
// is on the wire; the parser works on one such line and allocates only its results.
// Gaps: the HELO/EHLO name is checked loosely (one printable token); whether it is a real
// host name is a filter's job. A U-label is limited to 63 octets of UTF-8 (its A-label may
// be shorter, so a few valid long IDN labels are refused). General address literals
// ("[tag:content]") are refused. Local-parts over 64 octets are accepted (RFC 5321
// 4.5.3.1: accept larger objects where possible; Postfix does too).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/smtp/reply.hpp"

namespace portcullis::smtp {

// Splits the client's byte stream into command lines. Only CRLF ends a line. A bare LF ends
// the line as an error (never as a command); a bare CR inside a line poisons that line (it is
// reported when the line ends, so "A\rB\r\n" is one error, never two commands); an over-long
// line is reported once when it ends and is skipped without being buffered.
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
    std::size_t consumed;  // kLine/kTooLong/kBareNewline: right after the line's LF
  };

  // max_line counts the CRLF (RFC 5321: 512).
  explicit CommandReader(std::size_t max_line);
  Result feed(std::string_view in);
  // Valid after kLine until the next feed().
  std::string_view line() const { return line_; }

 private:
  void append(std::string_view bytes);
  Result finish(std::size_t consumed, bool crlf);

  std::size_t max_line_;
  std::string line_;
  bool too_long_ = false;
  bool bare_cr_ = false;
  bool pending_cr_ = false;
  bool ready_ = false;
};

// The reply for a CommandReader error status (kTooLong, kBareNewline): 500 5.5.2 with a
// reason. Any other status gives a generic 500 5.5.2.
Reply line_error_reply(CommandReader::Status status);

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
  std::string argument;              // raw text after the verb (HELO name, NOOP text …);
                                     // HELO/EHLO: the name, surrounding spaces removed
  std::string path;                  // MAIL/RCPT mailbox without <> and without a source
                                     // route; empty for <> (null sender)
  bool path_non_ascii = false;       // mailbox has UTF-8 (needs SMTPUTF8)
  std::vector<EsmtpParam> params;    // MAIL/RCPT ESMTP parameters
};

struct CommandParse {
  bool ok = false;
  Command command;
  // Valid when !ok: 500 5.5.2 (unknown command), 501 5.5.4 (syntax, NUL, bad parameters,
  // argument where none is allowed), 501 5.1.7 (bad sender), 501 5.1.3 (bad recipient).
  Reply error;
};

// Parses one command line (without CRLF). Verb match is case-insensitive. HELO/EHLO need a
// domain or address literal (one token of printable ASCII or UTF-8); MAIL needs
// "FROM:<path>" and RCPT "TO:<path>" (no space before '<' per RFC, but one is accepted as
// Postfix does); source routes are accepted and dropped; RCPT TO:<Postmaster> is allowed;
// DATA, RSET, QUIT, STARTTLS take no argument; NUL (or CR/LF) anywhere → 501.
CommandParse parse_command(std::string_view line);

// RFC 5321 Mailbox (local@domain or local@[literal]); UTF-8 allowed (RFC 6531) when valid.
bool valid_mailbox(std::string_view mailbox);
// RFC 5321 Domain (labels <= 63, total <= 255) or address literal in brackets.
bool valid_domain_or_literal(std::string_view text);

}  // namespace portcullis::smtp
