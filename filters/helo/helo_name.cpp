#include "filters/helo/helo_name.hpp"

#include <cstddef>

namespace portcullis::filters::helo {
namespace {

constexpr std::size_t kMaxDomain = 255;
constexpr std::size_t kMaxLabel = 63;

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && lower(a) == lower(b);
}

}  // namespace

bool is_domain(std::string_view text) {
  if (text.empty() || text.size() > kMaxDomain) return false;
  std::size_t start = 0;
  bool last_all_digits = false;
  while (true) {
    const std::size_t dot = text.find('.', start);
    const std::string_view label =
        text.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || label.size() > kMaxLabel || label.front() == '-' || label.back() == '-') {
      return false;
    }
    last_all_digits = true;
    for (char c : label) {
      if (!is_digit(c) && !is_alpha(c) && c != '-') return false;
      if (!is_digit(c)) last_all_digits = false;
    }
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  // A numeric top label is an IP address or a typo of one, never a host name (RFC 3696 2).
  return !last_all_digits;
}

HeloName classify_helo(std::string_view helo) {
  HeloName out;
  if (helo.empty()) return out;
  out.kind = HeloKind::kBadSyntax;

  if (helo.front() == '[') {
    if (helo.size() < 3 || helo.back() != ']') return out;
    std::string_view inside = helo.substr(1, helo.size() - 2);
    constexpr std::string_view kTag = "IPv6:";
    const bool v6 = inside.size() > kTag.size() && iequals(inside.substr(0, kTag.size()), kTag);
    if (v6) inside.remove_prefix(kTag.size());
    // The tag decides the family: "[::1]" and "[IPv6:192.0.2.1]" are both malformed.
    const bool has_colon = inside.find(':') != std::string_view::npos;
    if (v6 != has_colon) return out;
    const auto ip = config::IpAddress::parse(inside);
    if (!ip) return out;
    out.kind = HeloKind::kAddressLiteral;
    out.ip = *ip;
    return out;
  }
  if (const auto ip = config::IpAddress::parse(helo)) {
    out.kind = HeloKind::kBareIp;
    out.ip = *ip;
    return out;
  }
  std::string_view name = helo;
  if (name.size() > 1 && name.back() == '.') name.remove_suffix(1);
  if (!is_domain(name)) return out;
  out.kind = HeloKind::kDomain;
  out.domain = lower(name);
  return out;
}

}  // namespace portcullis::filters::helo
