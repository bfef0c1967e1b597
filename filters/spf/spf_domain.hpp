// Domain-name rules of SPF (RFC 7208 sections 4.3, 7.1, 7.3): which identities can be
// checked at all, the domain-spec grammar's ending ("." toplabel or a macro), and how an
// expanded domain-spec becomes a DNS query name. Pure functions.
// Untrusted input: every argument (SMTP identities, record text, macro expansions).
// Limits: names over 253 octets are truncated from the left as 7.3 says; labels over 63
// octets, empty labels and control characters make a name unusable (the mechanism then
// does not match, no query is sent). Gaps: no IDNA: U-labels are passed as raw octets.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "config/cidr.hpp"

namespace portcullis::filters::spf {

inline constexpr std::size_t kMaxDomainLength = 253;
inline constexpr std::size_t kMaxLabelLength = 63;

// 4.3: a domain check_host() can start from: multi-label, no empty label, labels ≤ 63,
// ≤ 253 octets (one trailing dot allowed), visible ASCII, not an address literal.
bool is_checkable_domain(std::string_view domain);

// 7.1 toplabel = ( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" ) alphanum )
bool is_toplabel(std::string_view label);

// 7.1 domain-spec = macro-string domain-end; domain-end = ( "." toplabel [ "." ] ) /
// macro-expand. Empty is an error. On failure sets *error (if given).
bool check_domain_spec(std::string_view spec, std::string* error);

// An expanded domain-spec as a query name: one trailing dot dropped, labels dropped from
// the left while over 253 octets, then lowercased. nullopt when unusable (empty label,
// label over 63 octets, control characters, nothing left).
std::optional<std::string> to_query_name(std::string_view expanded);

// "4.3.2.1.in-addr.arpa" / 32 nibbles + ".ip6.arpa" (lowercase), for PTR lookups.
std::string reverse_name(const config::IpAddress& ip);

// Whether `name` equals `domain` or ends in "." + domain (case-insensitive, trailing dots
// ignored).
bool is_same_or_subdomain(std::string_view name, std::string_view domain);

}  // namespace portcullis::filters::spf
