// DATA framing (RFC 5321 4.1.1.4 / 4.5.2): reads the client's message after 354 until the
// one true terminator CRLF.CRLF, removes dot-stuffing, and enforces the message size limit.
// Bare CR / bare LF / NUL never reach the message as sent: they fail the transaction
// (kReject) or are rewritten to CRLF (kNormalize; NUL still fails). After an error the reader
// keeps consuming, without storing, until the terminator, so the session replies once and the
// rest of the message is never read as commands (SMTP smuggling).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "proxy/smtp/limits.hpp"

namespace portcullis::smtp {

enum class DataError {
  kNone,
  kTooBig,       // 552 5.3.4
  kBareNewline,  // 550 5.5.2
  kNul,          // 550 5.6.0
};

class DataReader {
 public:
  enum class Status { kNeedMore, kDone };
  struct Result {
    Status status;
    std::size_t consumed;  // stops right after the terminator; later bytes are the next command
  };

  DataReader(std::size_t max_message_size, BareNewline policy);
  Result feed(std::string_view in);
  // The unstuffed message, CRLF line endings, without the terminator. Empty after an error.
  std::string& message() { return message_; }
  DataError error() const { return error_; }
  // Bytes of message the client sent (for logs, even when too big).
  std::size_t received() const { return received_; }
  void reset();

 private:
  // ... implementation state (see data_reader.cpp)
  std::size_t max_size_;
  BareNewline policy_;
  std::string message_;
  DataError error_ = DataError::kNone;
  std::size_t received_ = 0;
  int state_ = 0;
};

// Wire form for relaying: leading '.' doubled on every line, then ".\r\n" terminator.
// `message` must consist of CRLF-terminated lines (or be empty); a missing final CRLF is added.
std::string dot_stuff(std::string_view message);

}  // namespace portcullis::smtp
