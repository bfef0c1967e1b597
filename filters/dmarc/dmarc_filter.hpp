// The DMARC filter (RFC 7489; DESIGN.md filters.dmarc): at end of data, after SPF and DKIM
// (declared with after(), checked at load), finds the RFC5322.From domain, discovers its
// policy and checks whether SPF or a DKIM signature passed for an aligned domain. Without
// the spf or dkim filter configured, that method simply never aligns.
//   DMARC_PASS -0.5 · DMARC_POLICY_REJECT 4.0 · DMARC_POLICY_QUARANTINE 3.0 ·
//   DMARC_POLICY_NONE 0.5 (fail under p=none) · DMARC_NONE 0 (no policy) ·
//   DMARC_TEMPERROR 0 · DMARC_PERMERROR 1.0 (no usable From)
// The policy symbol follows what the domain asks for this message (p or sp, after pct).
// Actions: a failure under p=reject is refused with `550 5.7.1` naming DMARC (on_reject:
// reject, the default; or quarantine, or tag = the symbol only); under p=quarantine the
// message is quarantined (on_quarantine: quarantine, the default; or tag); p=none: symbol.
// A fail while an SPF or DKIM check failed temporarily is temperror (the missing answer
// might have aligned): under a published p=reject or p=quarantine it is refused with
// `451 4.7.1` (temperror: tempfail, the default; or tag), so a DNS hiccup is retried, never
// turned into a permanent rejection or a silent accept. Header: dis= is what we did.
// A message with several authors (two From fields, or several addresses or a group in one)
// has no single policy to check: refused with `550 5.7.1` (multiple_from: reject, the
// default; tag = DMARC_PERMERROR only). No From at all: DMARC_PERMERROR.
// The organisational domain comes from the Public Suffix List (psl_file; default the
// system's /usr/share/publicsuffix list, else libpsl's built-in one).
// Untrusted input: the message's From header, DNS TXT records.
// Gaps: no aggregate/failure reports (rua/ruf are parsed only); no DMARCbis.
#pragma once

#include <memory>
#include <string_view>

#include "filters/api/filter_factory.hpp"

namespace portcullis::filters::dmarc {

inline constexpr std::string_view kFilterName = "dmarc";
inline constexpr std::string_view kSystemPslFile = "/usr/share/publicsuffix/public_suffix_list.dat";

std::shared_ptr<const FilterFactory> make_dmarc_factory();

}  // namespace portcullis::filters::dmarc
