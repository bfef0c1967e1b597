#include <cctype>
#include <charconv>
#include <string>

#include "filters/antivirus/scanner.hpp"

namespace portcullis::filters::antivirus {

std::string_view strip_unofficial(std::string_view name) {
  constexpr std::string_view kSuffix = ".UNOFFICIAL";
  if (name.size() > kSuffix.size() && name.ends_with(kSuffix)) {
    name.remove_suffix(kSuffix.size());
  }
  return name;
}

Finding classify(std::string_view name) {
  name = strip_unofficial(name);
  if (!name.starts_with("Heuristics.")) return Finding::kVirus;
  if (name.starts_with("Heuristics.Encrypted.")) return Finding::kEncrypted;
  if (name.starts_with("Heuristics.Limits.Exceeded")) return Finding::kLimit;
  return Finding::kHeuristic;
}

ScanResult parse_clamd_reply(std::string_view reply) {
  while (!reply.empty() && (reply.back() == '\0' || reply.back() == '\n' || reply.back() == '\r')) {
    reply.remove_suffix(1);
  }
  constexpr std::string_view kPrefix = "stream: ";
  constexpr std::string_view kFound = " FOUND";
  constexpr std::string_view kError = " ERROR";
  if (reply.ends_with(kError)) {
    reply.remove_suffix(kError.size());
    if (reply.starts_with(kPrefix)) reply.remove_prefix(kPrefix.size());
    return {ScanResult::Kind::kError, "clamd: " + std::string(reply)};
  }
  if (reply.starts_with(kPrefix)) {
    std::string_view rest = reply.substr(kPrefix.size());
    if (rest == "OK") return {ScanResult::Kind::kClean, {}};
    if (rest.ends_with(kFound) && rest.size() > kFound.size()) {
      rest.remove_suffix(kFound.size());
      return {ScanResult::Kind::kFound, std::string(rest)};
    }
  }
  std::string shown(reply.substr(0, 80));
  for (char& c : shown) {
    if (c < ' ' || c > '~') c = '?';
  }
  return {ScanResult::Kind::kError, "clamd: unexpected reply \"" + shown + "\""};
}

std::optional<ClamdAddress> parse_clamd_address(std::string_view text, std::string& why_not) {
  ClamdAddress out;
  out.text = std::string(text);
  if (text.starts_with("unix:")) {
    out.local = true;
    out.path = std::string(text.substr(5));
    if (out.path.empty() || out.path.front() != '/') {
      why_not = "expected an absolute socket path after unix:, like unix:/run/clamav/clamd.ctl";
      return std::nullopt;
    }
    if (out.path.size() >= 108) {  // sockaddr_un.sun_path
      why_not = "the socket path is longer than 107 bytes";
      return std::nullopt;
    }
    return out;
  }
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    why_not = "expected unix:/path/to/clamd.ctl or host:port, like 127.0.0.1:3310";
    return std::nullopt;
  }
  std::string_view host = text.substr(0, colon);
  const std::string_view port = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    why_not = "write an IPv6 address in brackets, like [::1]:3310";
    return std::nullopt;
  }
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (host.empty() || port.empty() || ec != std::errc() || end != port.data() + port.size() ||
      value == 0 || value > 65535) {
    why_not = "expected unix:/path/to/clamd.ctl or host:port with a port from 1 to 65535";
    return std::nullopt;
  }
  out.host = std::string(host);
  out.port = std::string(port);
  return out;
}

}  // namespace portcullis::filters::antivirus
