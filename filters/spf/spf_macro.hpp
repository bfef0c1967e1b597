// SPF macro strings (RFC 7208 section 7): the syntax check done when a record is parsed, and
// the expansion done when a term is evaluated or an explanation is built. Pure functions,
// no DNS: the evaluator looks up the one macro that needs DNS (%{p}) itself beforehand and
// passes the validated name in MacroValues.
// Untrusted input: the macro string (from a DNS record) and every value (sender, HELO,
// domain: from the SMTP peer). Output is capped at kMaxExpansionLength octets (longer =
// failure), digit transformers at 128 parts, so a hostile record cannot blow up memory.
// Rules: %{c} %{r} %{t} only in explanation text; uppercase letters URL-escape their value
// (everything outside ALPHA DIGIT "-._~" becomes %XX, uppercase hex); a digit transformer
// of 0 is a syntax error; %{i} of an IPv6 address is 32 dot-separated nibbles, uppercase as
// in the RFC's examples; %{c} prints IPv6 compressed, lowercase. Gaps: none known.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "config/cidr.hpp"

namespace portcullis::filters::spf {

// Where a macro string appears: a domain-spec (mechanism/modifier argument) or the text
// of an explanation record (which also allows c, r, t and spaces).
enum class MacroMode { kDomainSpec, kExplanation };

inline constexpr std::size_t kMaxExpansionLength = 8192;

// The values macros expand to, for one check_host() call.
struct MacroValues {
  std::string_view sender;          // s: "local@domain" (local = "postmaster" if none)
  std::string_view local_part;      // l
  std::string_view sender_domain;   // o
  std::string_view domain;          // d: the <domain> currently checked
  config::IpAddress ip;             // i, c, v
  std::string_view validated_name;  // p: "unknown" when none (the evaluator fills it in)
  std::string_view helo;            // h
  std::string_view receiver;        // r
  std::uint64_t timestamp = 0;      // t
};

// Syntax check. On failure returns false and sets *error (if given) to one sentence naming
// the offending macro. *ends_with_macro (if given) tells whether the last token is a
// macro-expand, which the domain-spec grammar accepts instead of a top label.
bool check_macro_string(std::string_view text, MacroMode mode, std::string* error,
                        bool* ends_with_macro = nullptr);

// Whether the (valid) macro string uses macro letter `letter` (lowercase, either case).
bool uses_macro(std::string_view text, char letter);

// Expands a macro string; nullopt when it is not valid in `mode` or the output would
// exceed kMaxExpansionLength.
std::optional<std::string> expand_macro_string(std::string_view text, MacroMode mode,
                                               const MacroValues& values);

// The "i" macro's value: dotted quad for IPv4 (also IPv4-mapped), 32 dotted hex nibbles
// for IPv6.
std::string dotted_ip(const config::IpAddress& ip);

}  // namespace portcullis::filters::spf
