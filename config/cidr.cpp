#include "config/cidr.hpp"

#include <arpa/inet.h>

#include <cstddef>

#include "config/syntax.hpp"

namespace portcullis::config {
namespace {

constexpr std::array<std::uint8_t, 12> kV4MappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

bool is_v4_mapped(const std::array<std::uint8_t, 16>& bytes) {
  for (std::size_t i = 0; i < kV4MappedPrefix.size(); ++i) {
    if (bytes[i] != kV4MappedPrefix[i]) return false;
  }
  return true;
}

// inet_pton wants a NUL-terminated string; an embedded NUL must not cut the text short.
bool pton(int family, std::string_view text, void* out) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN ||
      text.find('\0') != std::string_view::npos) {
    return false;
  }
  std::array<char, INET6_ADDRSTRLEN> buf{};
  text.copy(buf.data(), text.size());
  return inet_pton(family, buf.data(), out) == 1;
}

struct Parsed {
  IpAddress address;
  bool written_v4 = false;  // dotted quad, so a prefix counts in the 32-bit space
};

std::optional<Parsed> parse_address(std::string_view text) {
  Parsed out;
  std::array<std::uint8_t, 4> v4{};
  if (pton(AF_INET, text, v4.data())) {
    for (std::size_t i = 0; i < kV4MappedPrefix.size(); ++i)
      out.address.bytes[i] = kV4MappedPrefix[i];
    for (std::size_t i = 0; i < v4.size(); ++i) out.address.bytes[12 + i] = v4[i];
    out.address.is_v4 = true;
    out.written_v4 = true;
    return out;
  }
  if (pton(AF_INET6, text, out.address.bytes.data())) {
    out.address.is_v4 = is_v4_mapped(out.address.bytes);
    return out;
  }
  return std::nullopt;
}

// Clears every bit after the first `prefix` bits.
std::array<std::uint8_t, 16> masked(std::array<std::uint8_t, 16> bytes, int prefix) {
  for (int i = 0; i < 16; ++i) {
    const int keep = prefix - i * 8;
    if (keep >= 8) continue;
    bytes[static_cast<std::size_t>(i)] &=
        keep <= 0 ? 0 : static_cast<std::uint8_t>(0xff << (8 - keep));
  }
  return bytes;
}

}  // namespace

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  auto parsed = parse_address(text);
  if (!parsed) return std::nullopt;
  return parsed->address;
}

std::string IpAddress::to_string() const {
  std::array<char, INET6_ADDRSTRLEN> buf{};
  const bool ok = is_v4 ? inet_ntop(AF_INET, bytes.data() + 12, buf.data(), buf.size()) != nullptr
                        : inet_ntop(AF_INET6, bytes.data(), buf.data(), buf.size()) != nullptr;
  return ok ? std::string(buf.data()) : std::string("?");
}

std::optional<Cidr> Cidr::parse(std::string_view text) { return parse(text, nullptr); }

std::optional<Cidr> Cidr::parse(std::string_view text, std::string* why_not) {
  auto fail = [&](std::string message) -> std::optional<Cidr> {
    if (why_not != nullptr) *why_not = std::move(message);
    return std::nullopt;
  };
  const std::size_t slash = text.find('/');
  const std::string_view address_text = text.substr(0, slash);
  const auto parsed = parse_address(address_text);
  if (!parsed) {
    return fail("expected an address or network like 192.0.2.0/24 or 2001:db8::/32, got " +
                detail::quoted(text));
  }
  const int family_bits = parsed->written_v4 ? 32 : 128;
  int prefix = family_bits;
  if (slash != std::string_view::npos) {
    const auto number = detail::parse_decimal(text.substr(slash + 1));
    if (!number || *number > static_cast<std::uint64_t>(family_bits)) {
      return fail("expected a prefix length 0-" + std::to_string(family_bits) +
                  " after the '/', got " + detail::quoted(text));
    }
    prefix = static_cast<int>(*number);
  }
  Cidr cidr;
  cidr.prefix_ = prefix + (128 - family_bits);
  cidr.network_ = parsed->address;
  cidr.network_.bytes = masked(parsed->address.bytes, cidr.prefix_);
  if (cidr.network_.bytes != parsed->address.bytes) {
    // Say it in the family and prefix the operator wrote.
    IpAddress suggestion = cidr.network_;
    suggestion.is_v4 = parsed->written_v4;
    return fail(std::string(text) + " has host bits set; did you mean " + suggestion.to_string() +
                "/" + std::to_string(prefix) + "?");
  }
  return cidr;
}

bool Cidr::contains(const IpAddress& ip) const {
  return masked(ip.bytes, prefix_) == network_.bytes;
}

std::string Cidr::to_string() const {
  if (network_.is_v4 && prefix_ >= 96)
    return network_.to_string() + "/" + std::to_string(prefix_ - 96);
  IpAddress as_v6 = network_;
  as_v6.is_v4 = false;
  return as_v6.to_string() + "/" + std::to_string(prefix_);
}

}  // namespace portcullis::config
