#include "config/syntax.hpp"

#include <cstddef>

namespace portcullis::config::detail {
namespace {

constexpr std::size_t kQuoteCap = 60;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool is_label_char(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
}

bool all_digits(std::string_view s) {
  for (char c : s) {
    if (!is_digit(c)) return false;
  }
  return !s.empty();
}

bool is_dotted_quad_shape(std::string_view s) {
  for (char c : s) {
    if (!is_digit(c) && c != '.') return false;
  }
  return !s.empty();
}

}  // namespace

std::string quoted(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  std::size_t used = 0;
  for (unsigned char c : text) {
    if (used == kQuoteCap) {
      out += "...";
      break;
    }
    ++used;
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
  return out;
}

std::optional<std::uint64_t> parse_decimal(std::string_view text) {
  if (text.empty() || (text.size() > 1 && text[0] == '0')) return std::nullopt;
  std::uint64_t value = 0;
  for (char c : text) {
    if (!is_digit(c)) return std::nullopt;
    const auto digit = static_cast<std::uint64_t>(c - '0');
    if (value > (UINT64_MAX - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

bool is_host_name(std::string_view text) {
  if (text.empty() || text.size() > 253) return false;
  std::string_view last_label;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = text.find('.', start);
    const std::string_view label =
        text.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (char c : label) {
      if (!is_label_char(c)) return false;
    }
    last_label = label;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return !all_digits(last_label);
}

std::optional<Endpoint> parse_endpoint(std::string_view text, std::uint16_t min_port,
                                       std::string& why_not) {
  const std::string shape = "expected \"host:port\" (IPv6 as \"[::1]:25\"), got " + quoted(text);
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      why_not = shape;
      return std::nullopt;
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    // Brackets are for IPv6 only ("[192.0.2.1]:25" is a typo, not an address).
    if (host.find(':') == std::string_view::npos || !IpAddress::parse(host)) {
      why_not = "expected an IPv6 address inside [...], got " + quoted(text);
      return std::nullopt;
    }
  } else {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos || colon == 0) {
      why_not = shape;
      return std::nullopt;
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      why_not = "an IPv6 address needs brackets, as in \"[::1]:25\", got " + quoted(text);
      return std::nullopt;
    }
    // "256.1.1.1" is neither a valid address nor a name: don't let it pass as a name.
    if (is_dotted_quad_shape(host) ? !IpAddress::parse(host) : !is_host_name(host)) {
      why_not = "expected an IPv4 address, [IPv6 address] or host name before the port, got " +
                quoted(text);
      return std::nullopt;
    }
  }
  const auto number = parse_decimal(port);
  if (!number || *number < min_port || *number > 65535) {
    why_not =
        "expected a port " + std::to_string(min_port) + "-65535 after the ':', got " + quoted(text);
    return std::nullopt;
  }
  return Endpoint{std::string(host), static_cast<std::uint16_t>(*number)};
}

}  // namespace portcullis::config::detail
