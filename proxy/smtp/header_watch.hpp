// Finds the end of a message's header section (RFC 5322: the first empty line) while the
// message is still arriving, so filters can start work that needs only the headers (DKIM
// key and DMARC policy lookups) before the body is complete. Fed the growing, unstuffed
// message (CRLF lines) after each read; reports the section's length once. Each byte is
// looked at a bounded number of times (the last 3 again on the next feed).
// Untrusted input: the message. A message without an empty line never reports.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace portcullis::smtp {

class HeaderWatch {
 public:
  // The length of the header section including its empty line, the first time it is
  // complete in `message`; nullopt before and after.
  std::optional<std::size_t> feed(std::string_view message);

 private:
  bool done_ = false;
  std::size_t scanned_ = 0;
};

}  // namespace portcullis::smtp
