// DATA framing (RFC 5321 4.1.1.4 / 4.5.2): reads the client's message after 354 until the
// one true terminator CRLF.CRLF, removes dot-stuffing, and enforces the message size limit.
// Untrusted input: every byte after 354. Bare CR / bare LF / NUL never reach the message as
// sent: they fail the transaction (kReject) or are rewritten to CRLF (kNormalize; NUL still
// fails). A rewritten bare newline never starts a line for framing: only a real CRLF does,
// so "\n.\n" stays content (a line ".") and can never end the message. After an error the
// reader keeps consuming, without storing, until the terminator, so the session replies once
// and the rest of the message is never read as commands (SMTP smuggling).
// Limits: the stored message never exceeds max_message_size; lines of any length are kept
// unchanged (never folded: that would break DKIM). Gap: after an error the reader consumes
// without bound until the terminator; the session's data_timeout ends a client that never
// sends one.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "proxy/smtp/limits.hpp"
#include "proxy/smtp/reply.hpp"

namespace portcullis::smtp {

enum class DataError {
  kNone,
  kTooBig,       // 552 5.3.4
  kBareNewline,  // 550 5.5.2
  kNul,          // 550 5.6.0
};

// The reply for a DataError (kNone gives 250 2.0.0 Ok).
Reply data_error_reply(DataError error);

class DataReader {
 public:
  enum class Status { kNeedMore, kDone };
  struct Result {
    Status status;
    std::size_t consumed;  // stops right after the terminator; later bytes are the next command
  };

  DataReader(std::size_t max_message_size, BareNewline policy);
  // kNeedMore always consumes all of `in`. After kDone further calls consume nothing.
  Result feed(std::string_view in);
  // The unstuffed message, CRLF line endings, without the terminator (the CRLF before
  // ".\r\n" belongs to the last line). Empty after an error. Callers may move it out.
  std::string& message() { return message_; }
  DataError error() const { return error_; }
  // Octets of message the client sent (for logs, even when too big): everything consumed,
  // dot-stuffing included, the final ".\r\n" excluded.
  std::size_t received() const { return received_; }
  // Ready for the next message (same limit and policy).
  void reset();

 private:
  enum class State : unsigned char {
    kLineStart,  // after CRLF (or at the start of data)
    kDot,        // a '.' at line start, already dropped
    kDotCr,      // ".\r" at line start: LF next ends the message
    kMid,        // inside a line
    kCr,         // inside a line, a CR was the last byte of the previous feed
    kDone,
  };
  void store(const char* bytes, std::size_t n);
  void bare_newline();
  void fail(DataError error);

  std::size_t max_size_;
  BareNewline policy_;
  std::string message_;
  DataError error_ = DataError::kNone;
  std::size_t received_ = 0;
  State state_ = State::kLineStart;
};

// Wire form for relaying: leading '.' doubled on every line, then ".\r\n" terminator.
// `message` must consist of CRLF-terminated lines (or be empty); a missing final CRLF is
// added. A '.' after a bare CR or bare LF is doubled too, so even a message that breaks the
// rule cannot end early at a peer that takes those for line ends.
std::string dot_stuff(std::string_view message);

}  // namespace portcullis::smtp
