// IPv4/IPv6 networks in CIDR notation ("192.0.2.0/24", "::1/128", a bare address = host
// route) and membership tests. Pure value type, no I/O; used by the config, relay control
// and (later) the access-list filter.
// Untrusted input: the text (config values, and later peer addresses); parsing goes through
// inet_pton only, never the resolver, and rejects embedded NULs, zone ids ("fe80::1%eth0")
// and networks with host bits set. IPv4 is stored IPv4-mapped, so "192.0.2.0/24" also
// matches a dual-stack socket's "::ffff:192.0.2.7" and an IPv4 network never matches a
// native IPv6 address. Gaps: no ranges ("a-b"), no netmask notation ("/255.255.255.0").
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace portcullis::config {

// An IP address in 16 bytes; IPv4 is held as IPv4-mapped IPv6 (::ffff:a.b.c.d).
// is_v4 is true for every address in ::ffff:0:0/96, whether it was written "192.0.2.1" or
// "::ffff:192.0.2.1": both parse to the same value and print as "192.0.2.1".
struct IpAddress {
  std::array<std::uint8_t, 16> bytes{};
  bool is_v4 = false;
  static std::optional<IpAddress> parse(std::string_view text);
  std::string to_string() const;
  bool operator==(const IpAddress&) const = default;
};

class Cidr {
 public:
  static std::optional<Cidr> parse(std::string_view text);
  // Same, and when it fails, why_not (if given) says what is wrong in one sentence, e.g.
  // "192.0.2.1/24 has host bits set; did you mean 192.0.2.0/24?".
  static std::optional<Cidr> parse(std::string_view text, std::string* why_not);
  bool contains(const IpAddress& ip) const;
  // IPv4 networks print dotted with their IPv4 prefix ("192.0.2.0/24"), others as IPv6.
  std::string to_string() const;
  bool operator==(const Cidr&) const = default;

 private:
  IpAddress network_;
  // In the 128-bit space. A default-constructed Cidr is "::/128": it matches nothing a peer
  // can have, so forgetting to parse one never opens anything up.
  int prefix_ = 128;
};

}  // namespace portcullis::config
