// Internal to filters/received: the pieces of reading one Received value, shared by
// received_line.cpp (normalising, the fields every format shares, authentication marks,
// the final clean-up) and the format families (received_formats_*.cpp), which are tried
// in SpamAssassin's order.
// Untrusted input: the value. Limits: kLineStepBudget matcher steps per value (match_kit).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "filters/received/match_kit.hpp"
#include "filters/received/received_relays.hpp"

namespace portcullis::received::detail {

// Enough for any realistic value (a few thousand steps); a hostile one stops here.
inline constexpr std::size_t kLineStepBudget = 300'000;

// What SpamAssassin's parser keeps while reading one value. Formats tried later may
// overwrite what an earlier, partial attempt left (as in SpamAssassin).
struct Fields {
  std::string ip, helo, rdns, by, id, ident, auth;
  std::optional<std::string> envfrom;  // unset differs from empty for qmail-scanner
};

// How a format family ended.
enum class Step {
  kNoMatch,    // none of its formats applied; go on
  kRelay,      // enough read: a relay
  kSkip,       // a known non-handover
  kMailFetch,  // fetchmail/getmail marker
};

struct LineResult {
  LineOutcome outcome = LineOutcome::kUnparseable;
  Relay relay;
  // Set by a qmail-scanner note: the envelope sender it logged, for the next value's relay.
  std::optional<std::string> scanner_envfrom;
};

LineResult parse_line(std::string_view value, std::size_t* budget);

// Perl truth of a string: neither empty nor "0".
inline bool perl_true(std::string_view s) { return !s.empty() && s != "0"; }

// Exim-style "helo=X ident=Y" inside a parenthesised comment.
void read_helo_ident(std::string_view comment, Fields& f);

// The formats after a lowercase "from " (text without it), in SpamAssassin's order: first
// the named MTAs (received_formats_mta.cpp), then the rest and the list of known
// non-handovers (received_formats_other.cpp).
Step from_named_mtas(kit::Ctx& c, Fields& f);
Step from_other_formats(kit::Ctx& c, Fields& f, LineResult& result);
// "FROM " (simta and friends) and "(from " (Norton gateway, sendmail -t).
Step from_uppercase(kit::Ctx& c, Fields& f);
Step from_parenthesised(kit::Ctx& c, Fields& f);

}  // namespace portcullis::received::detail
