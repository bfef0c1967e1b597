// IPv4/IPv6 networks in CIDR notation ("192.0.2.0/24", "::1/128", a bare address = host
// route) and membership tests. Pure value type, no I/O; used by the config, relay control
// and (later) the access-list filter.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace portcullis::config {

// An IP address in 16 bytes; IPv4 is held as IPv4-mapped IPv6 (::ffff:a.b.c.d).
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
  bool contains(const IpAddress& ip) const;
  std::string to_string() const;

 private:
  IpAddress network_;
  int prefix_ = 0;  // in the 128-bit space
};

}  // namespace portcullis::config
