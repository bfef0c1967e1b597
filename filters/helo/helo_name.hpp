// What kind of name a client gave in HELO/EHLO: a domain (RFC 5321 4.1.2: dot-separated
// labels of letters, digits and '-', neither starting nor ending with '-', 1-63 octets each,
// 255 in all), an address literal ("[192.0.2.1]", "[IPv6:2001:db8::1]"), a bare IP address
// (no brackets), or none of these. Pure function, no I/O, no resolver.
// Untrusted input: the HELO argument, any bytes the SMTP parser let through (one token of
// printable ASCII or UTF-8).
// Choices: one trailing dot is accepted on a domain ("mx.example.org.") and dropped; a
// domain whose last label is all digits ("1.2.3", "192.0.2.256") is not a valid domain;
// IPv4 literals are dotted quads without leading zeros (inet_pton); the "IPv6:" tag is
// matched case-insensitively. Gaps: general address literals ("[tag:...]") and UTF-8 names
// (U-labels) count as bad syntax: clients must send A-labels ("xn--...").
#pragma once

#include <string>
#include <string_view>

#include "config/cidr.hpp"

namespace portcullis::filters::helo {

enum class HeloKind {
  kEmpty,           // no HELO yet
  kDomain,          // a syntactically valid domain
  kAddressLiteral,  // [IPv4] or [IPv6:...]
  kBareIp,          // an IP address without brackets
  kBadSyntax,       // none of the above
};

struct HeloName {
  HeloKind kind = HeloKind::kEmpty;
  std::string domain;    // kDomain: lower-cased, without the trailing dot
  config::IpAddress ip;  // kAddressLiteral, kBareIp
  bool fqdn() const { return kind == HeloKind::kDomain && domain.find('.') != std::string::npos; }
};

HeloName classify_helo(std::string_view helo);

// RFC 5321 Domain syntax (without a trailing dot), as classify_helo checks it.
bool is_domain(std::string_view text);

}  // namespace portcullis::filters::helo
