// DMARC evaluation (RFC 7489): policy discovery (6.6.3), identifier alignment (3.1) and pct
// sampling (6.6.4), as a pure function over the SPF and DKIM results, the From domain and a
// dns::DnsView. When a TXT answer it needs is not known yet it returns the questions instead
// (dns_answer.hpp); the driver resolves them and calls again from scratch.
// Untrusted input: the From domain (from the message), the SPF and DKIM identifiers (from
// the envelope and signatures), every TXT record in the view.
// Discovery: TXT _dmarc.<From domain>; TXT records not starting with v=DMARC1 are ignored;
// when none is left (NXDOMAIN, NODATA or only other TXT), TXT _dmarc.<organizational domain>
// (asked at the same time when the From domain is a subdomain, to save a round trip). More
// than one v=DMARC1 record at a name -> result none ("multiple DMARC records"); one that is
// invalid (and not rescued by rua=, see dmarc_record.hpp) -> none, no fallback (6.6.3 steps
// 5-6); SERVFAIL/timeout on a name that is needed -> temperror. A record found at the
// organizational domain for a subdomain From applies its sp= (which defaults to p=).
// Alignment: strict = same name; relaxed = same organizational domain (OrgDomain). SPF
// counts only when it passed, DKIM only signatures that passed.
// Sampling: with pct < 100 a failing message is drawn against pct with the injected
// PercentSource; unsampled mail gets the next lower policy (reject -> quarantine ->
// none). The draw is made once, only when the final result is fail and 0 < pct < 100.
// Limits: at most kMaxTxtRecords TXT records looked at per name; record limits as in
// dmarc_record.hpp; names longer than 253 bytes are never asked.
// Gaps: no DMARCbis tree walk (np=, psd=); reports (rua/ruf) are not sent; a From with
// several mailboxes is refused before this point (from_domain.hpp).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "filters/dmarc/dmarc_record.hpp"
#include "filters/dmarc/org_domain.hpp"
#include "filters/dns/dns_answer.hpp"

namespace portcullis::filters::dmarc {

struct DmarcInput {
  std::string from_domain;  // RFC5322.From domain (from_domain.hpp), any case
  // The SPF-authenticated domain when SPF passed: the MAIL FROM domain, or the HELO name for
  // the null sender. nullopt when SPF did not pass.
  std::optional<std::string> spf_pass_domain;
  std::vector<std::string> dkim_pass_domains;  // d= of each signature that passed
};

struct DmarcResult {
  enum class Code : std::uint8_t { kNone, kPass, kFail, kTemperror, kPermerror };
  Code code = Code::kNone;
  std::string from_domain;    // normalized (lowercase)
  std::string policy_domain;  // where the record was found; empty when none was used
  Policy policy = Policy::kNone;   // the p= or sp= that applies to this From domain
  Policy applied = Policy::kNone;  // what to do with this message: fail only, after pct
  bool sampled = true;        // false when pct sampling downgraded `applied`
  bool spf_aligned = false;
  bool dkim_aligned = false;
  std::string reason;         // "no DMARC record", "SPF aligned (relaxed)", …
  std::optional<DmarcRecord> record;  // the record used
};

// RFC 8601 spelling: "none", "pass", "fail", "temperror", "permerror".
std::string_view to_string(DmarcResult::Code code);

// Uniform draws in [0, 100); a message is sampled when draw < pct. Called at most once per
// evaluation that ends in fail with 0 < pct < 100.
using PercentSource = std::function<std::uint32_t()>;
// A per-thread pseudo-random source seeded once from std::random_device.
PercentSource default_percent_source();

constexpr std::size_t kMaxTxtRecords = 32;

dns::Evaluation<DmarcResult> evaluate_dmarc(const DmarcInput& input, const OrgDomain& org,
                                            dns::DnsView& dns, const PercentSource& percent);

// The permerror result for a message whose From domain could not be determined
// (from_domain.hpp gives the reason).
DmarcResult dmarc_permerror(std::string reason);

// Identifier alignment (RFC 7489 3.1): strict = equal names, relaxed = equal
// organizational domains. Names are compared case-insensitively, a trailing dot ignored.
bool aligned(std::string_view from_domain, std::string_view other_domain, Alignment mode,
             const OrgDomain& org);

}  // namespace portcullis::filters::dmarc
