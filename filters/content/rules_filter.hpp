// Content rules (DESIGN.md filters.rules, docs/rules.md): at end of message, every rule file
// of `dir` compiled into one rule set (Hyperscan per target, PCRE2 fallback) is run over the
// message; each rule that hits adds its id as a symbol with its score, and the policy's
// thresholds decide — except rules with an `action`, which refuse or quarantine alone (the
// most severe one wins: reject, tempfail, quarantine). MIME anomalies the parser meets (too
// many parts, too deep, too large, broken boundaries) are symbols too. Scans of messages
// above 64 KiB run on the worker pool. Reload (SIGHUP) builds a new rule set with the new
// pipeline; a set that does not compile is refused and the old one stays. Untrusted input:
// the message (rules are the operator's).
#pragma once

#include <memory>
#include <string_view>

#include "filters/api/filter_factory.hpp"

namespace portcullis::filters::content {

inline constexpr std::string_view kFilterName = "rules";

// The factory main registers under `filters: { rules: ... }`.
std::shared_ptr<const FilterFactory> make_rules_factory();

}  // namespace portcullis::filters::content
