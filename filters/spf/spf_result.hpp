// The outcome of an SPF check (RFC 7208 section 2.6) as a typed value the pipeline keeps in
// the transaction (std::optional<SpfResult>), logs and turns into symbols and an
// Authentication-Results entry.
// Untrusted input: `domain` comes from the SMTP peer, `reason` may quote a term of a DNS
// record and `explanation` is text published in DNS; all three are reduced to printable
// ASCII and capped in length by the evaluator before they land here, but they are still
// third-party text: quote them, never interpret them.
// Limits: reason ≤ about 700 octets (it may quote a 64-octet term excerpt and two domains),
// explanation ≤ kMaxExplanationLength octets.
// Gaps: none known.
#pragma once

#include <string>
#include <string_view>

namespace portcullis::filters::spf {

struct SpfResult {
  enum class Code { kNone, kNeutral, kPass, kFail, kSoftfail, kTemperror, kPermerror };

  Code code = Code::kNone;
  std::string identity;     // "mailfrom" or "helo"
  std::string domain;       // the domain checked (lowercase, no trailing dot when valid)
  std::string reason;       // why: "matched ip4:192.0.2.0/24", "no SPF record", …
  std::string explanation;  // expanded exp= text, only for kFail; empty = use a default

  bool operator==(const SpfResult&) const = default;
};

// Longest explanation kept: an SMTP reply line holds 512 octets with its code.
inline constexpr std::size_t kMaxExplanationLength = 400;

// The RFC 8601 spelling: none, neutral, pass, fail, softfail, temperror, permerror.
std::string_view to_string(SpfResult::Code code);

// The inverse of to_string (exact lowercase spelling); false when `text` is none of them.
bool parse_code(std::string_view text, SpfResult::Code* out);

}  // namespace portcullis::filters::spf
