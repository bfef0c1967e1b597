// Small text grammars the config shares: decimal numbers, host and domain names, "host:port"
// endpoints, and quoting a value for an error message. Pure functions, no I/O, no resolver.
// Untrusted input: every argument (config values). Quoted values are escaped and capped so a
// message never carries control characters or an unbounded copy of the input.
// Gaps: internationalised names must be given as A-labels ("xn--..."); no UTF-8 names.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.hpp"

namespace portcullis::config::detail {

// "text" in double quotes, with \", \\ and \xNN escapes, cut at 60 bytes ("...").
std::string quoted(std::string_view text);

// Digits only, no sign, no leading zeros (except "0" itself: "010" could be read as octal by
// other YAML tools), no overflow. The number grammar of counts, sizes and durations.
std::optional<std::uint64_t> parse_decimal(std::string_view text);

// RFC 1123 host name: dot-separated labels of letters, digits and '-', 1-63 bytes each (no
// '-' at either end), at most 253 bytes, no trailing dot, and the last label not all digits
// (that would be an IP address).
bool is_host_name(std::string_view text);

// "host:port", "[ipv6]:port". The host is a dotted IPv4 address, a bracketed IPv6 address
// (returned without the brackets) or a host name; the port is decimal, min_port..65535.
// On failure why_not says what was expected.
std::optional<Endpoint> parse_endpoint(std::string_view text, std::uint16_t min_port,
                                       std::string& why_not);

}  // namespace portcullis::config::detail
