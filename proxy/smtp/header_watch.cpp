#include "proxy/smtp/header_watch.hpp"

namespace portcullis::smtp {

std::optional<std::size_t> HeaderWatch::feed(std::string_view message) {
  if (done_) return std::nullopt;
  if (message.starts_with("\r\n")) {
    done_ = true;
    return 2;  // no header fields at all
  }
  const std::size_t from = scanned_ >= 3 ? scanned_ - 3 : 0;
  const std::size_t end = message.find("\r\n\r\n", from);
  if (end == std::string_view::npos) {
    scanned_ = message.size();
    return std::nullopt;
  }
  done_ = true;
  return end + 4;
}

}  // namespace portcullis::smtp
