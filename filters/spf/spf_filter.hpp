// The SPF filter (RFC 7208; DESIGN.md filters.spf): checks the MAIL FROM identity (for the
// null sender, postmaster@HELO) against the client address. The check starts as soon as
// MAIL FROM is known and runs while the dialogue goes on; it is awaited at the first RCPT
// only when a result can refuse the message (a reject/tempfail action below), otherwise at
// end of data. The result goes into the transaction (spf::SpfResult, read by DMARC), one
// symbol, the Authentication-Results header and the scan report.
//   SPF_PASS -0.5 · SPF_FAIL 3.0 · SPF_SOFTFAIL 1.5 · SPF_NEUTRAL 0 · SPF_NONE 0.5 ·
//   SPF_TEMPERROR 0 · SPF_PERMERROR 1.0            (scores: {SPF_FAIL: 5} overrides)
// Actions (default `symbol`: the score alone decides):
//   fail: reject       → 550 5.7.23 at RCPT (RFC 7372), with the domain's exp= explanation
//   softfail: reject   → 550 5.7.23 at RCPT
//   temperror: tempfail → 451 4.7.24 at RCPT
//   permerror: reject  → 550 5.7.24 at RCPT
// Untrusted input: the envelope and HELO, every DNS answer; the explanation (DNS text) is
// printable ASCII capped by the evaluator, and goes into the reply only as text.
// Gaps: the HELO identity is checked only for the null sender (as RFC 7208 2.4 asks), not
// separately; no exemption for trusted_networks (authenticated submission lands with AUTH).
#pragma once

#include <memory>
#include <string_view>

#include "filters/api/filter_factory.hpp"

namespace portcullis::filters::spf {

inline constexpr std::string_view kFilterName = "spf";

std::shared_ptr<const FilterFactory> make_spf_factory();

}  // namespace portcullis::filters::spf
