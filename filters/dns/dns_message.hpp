// Reads a DNS response (RFC 1035 wire format, as c-ares hands it over) for one question
// into an Answer: the records of the type asked, after following the CNAME chain from the
// name asked, and how long the answer may be cached (the smallest TTL used; for NXDOMAIN
// and NODATA the SOA's negative TTL, RFC 2308 section 5).
// Untrusted input: the whole message. Every length and compression pointer is checked;
// pointers may only go backwards and at most 64 of them are followed per name; names over
// 255 octets, CNAME chains over 8 links and more than 256 records are treated as malformed
// (kServFail: a broken answer is never read as "does not exist").
// Gaps: DNSSEC is not validated (the AD bit is ignored); only class IN is read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "filters/dns/dns_answer.hpp"

namespace portcullis::dns {

// The question as it was asked; the owner names of the records must match it (or the
// CNAME chain from it). negative_ttl_cap bounds the TTL of NXDOMAIN/NODATA answers; answers
// without an SOA get it as is.
Answer parse_response(std::span<const std::uint8_t> message, std::string_view name, RrType type,
                      std::uint32_t negative_ttl_cap);

}  // namespace portcullis::dns
