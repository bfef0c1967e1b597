// check_host() of RFC 7208 (sections 4 to 6): the SPF verdict for a client IP and the
// MAIL FROM or HELO identity, as a pure, restartable function of a dns::DnsView. When an
// answer it needs is not in the view it returns the questions instead of a result
// (dns_answer.hpp); the driver resolves them and calls again from scratch. Each run counts
// its own lookups, so the result never depends on what an earlier run saw. The A/AAAA
// lookups of all MX hosts (and of all PTR names) are asked together; otherwise a run stops
// at the first missing answer.
// Untrusted input: the SMTP identities and client-chosen HELO, and every DNS answer.
// Limits: 10 DNS-querying terms (include a mx ptr exists redirect) per check, 2 void
// lookups, 10 MX / PTR names per mechanism (more MX = permerror, PTR names beyond 10 are
// ignored), include/redirect nesting ≤ kMaxRecursionDepth, records and macro expansions as
// in spf_record.hpp and spf_macro.hpp. Temporary DNS failures give temperror, never pass
// or fail; for ptr (and %{p}) they only skip the name (5.5).
// Choices: only the address type of the client is looked up for a / mx (A for IPv4 and
// IPv4-mapped clients, AAAA otherwise); exp= lookups count neither against the lookup nor
// the void limit; %{p} lookups do not count either; an expanded target that is not a usable
// DNS name (empty or >63-octet label) does not match and sends no query; null MX hosts are
// skipped. Gaps: no overall time limit (the driver owns time); names are not IDNA-checked.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "config/cidr.hpp"
#include "filters/dns/dns_answer.hpp"
#include "filters/spf/spf_result.hpp"

namespace portcullis::filters::spf {

inline constexpr int kMaxDnsTerms = 10;
inline constexpr int kMaxVoidLookups = 2;
inline constexpr std::size_t kMaxNamesPerMechanism = 10;
inline constexpr int kMaxRecursionDepth = 12;

struct SpfRequest {
  config::IpAddress client_ip;
  std::string helo;                  // the HELO/EHLO argument as sent
  std::string mail_from;             // reverse-path without <>; empty = null sender
  std::string receiver = "unknown";  // our host name, for %{r}
  std::uint64_t timestamp = 0;       // seconds since the epoch, for %{t}
};

// The MAIL FROM identity (2.4): the domain of mail_from, or postmaster@helo for the null
// sender. identity = "mailfrom".
dns::Evaluation<SpfResult> check_mail_from(const SpfRequest& request, dns::DnsView& view);

// The HELO identity (2.3): helo, sender postmaster@helo. identity = "helo". A HELO that is
// not a multi-label domain (address literal, bare word) gives none.
dns::Evaluation<SpfResult> check_helo(const SpfRequest& request, dns::DnsView& view);

// check_host(<ip>, <domain>, <sender>) itself; `identity` is copied into the result.
dns::Evaluation<SpfResult> check_host(const SpfRequest& request, std::string_view domain,
                                      std::string_view sender, std::string_view identity,
                                      dns::DnsView& view);

}  // namespace portcullis::filters::spf
