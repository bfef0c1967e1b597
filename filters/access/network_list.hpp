// A set of IPv4/IPv6 networks (config::Cidr syntax) for the access lists, answering "which
// listed network holds this address?" in at most one hash lookup per distinct prefix length
// (at most 129, in practice a handful), so lists of many thousands of entries stay cheap.
// Untrusted input: the address looked up (a peer's). The entries are the operator's config
// text, validated by config::Cidr (no host bits, no zone ids, no names). Like Cidr, IPv4 is
// held IPv4-mapped: "192.0.2.0/24" matches "::ffff:192.0.2.7", never a native IPv6 address.
// Gaps: no ranges ("a-b") and no netmask notation, as in config::Cidr.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "config/cidr.hpp"

namespace portcullis::filters::access {

class NetworkList {
 public:
  // Adds a network ("192.0.2.0/24", "2001:db8::/32", or a bare address = host route). On
  // failure returns false and why_not holds config::Cidr's one-sentence reason (for host
  // bits: "192.0.2.1/24 has host bits set; did you mean 192.0.2.0/24?").
  bool add(std::string_view text, std::string& why_not);
  // The most specific listed network holding `ip`, in canonical form ("192.0.2.0/24"), or
  // null when none does.
  const std::string* find(const config::IpAddress& ip) const;
  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }

 private:
  using Bytes = std::array<std::uint8_t, 16>;
  struct BytesHash {
    std::size_t operator()(const Bytes& b) const noexcept;
  };
  struct Bucket {
    int prefix = 0;                                              // in the 128-bit space
    std::unordered_map<Bytes, std::string, BytesHash> networks;  // masked network → text
  };
  std::vector<Bucket> buckets_;  // longest prefix first
  std::size_t size_ = 0;
};

}  // namespace portcullis::filters::access
