// Every bound the SMTP layer and the proxy enforce, in one place, each with its default.
// Untrusted input never decides a size: every buffer and counter is checked against these.
#pragma once

#include <chrono>
#include <cstddef>

namespace portcullis::smtp {

// What to do with a bare CR or bare LF inside DATA (SMTP smuggling defence).
enum class BareNewline {
  kReject,     // 550 5.5.2 at end of DATA; nothing is forwarded
  kNormalize,  // rewrite each bare CR / bare LF to CRLF before anything sees the message
};

struct Limits {
  // RFC 5321 4.5.3.1.4: 512 octets including CRLF.
  std::size_t max_command_line = 512;
  // Backend reply lines; RFC says 512, we tolerate more but never without bound.
  std::size_t max_reply_line = 2048;
  std::size_t max_reply_lines = 64;
  // Unstuffed message bytes; also announced through SIZE.
  std::size_t max_message_size = 50u * 1024 * 1024;
  std::size_t max_recipients = 100;
  // Protocol errors in one session before 421 4.7.0 and close.
  std::size_t max_errors = 10;
  std::size_t max_connections = 10000;
  std::size_t max_connections_per_ip = 20;
  std::chrono::milliseconds command_timeout{300'000};
  std::chrono::milliseconds data_timeout{600'000};
  std::chrono::milliseconds shutdown_grace{30'000};
  // Talking to the MTA behind us: connect, and each reply (the final DATA reply gets data_timeout).
  std::chrono::milliseconds backend_connect_timeout{30'000};
  std::chrono::milliseconds backend_reply_timeout{300'000};
};

}  // namespace portcullis::smtp
