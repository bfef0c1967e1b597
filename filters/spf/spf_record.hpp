// Parsing one SPF record (RFC 7208 sections 4.5, 4.6, 5, 6, 12 ABNF) into terms. The
// whole record is checked before anything is evaluated, so a syntax error anywhere is a
// permerror (4.6), and the error names the bad term.
// Untrusted input: the record text (a TXT record from the network).
// Limits: kMaxRecordLength octets, kMaxTerms terms; non-ASCII or control characters
// anywhere in the record are a syntax error (3.1, 4.6.1: terms are separated by spaces
// only). Choices: mechanism and modifier names are case-insensitive; unknown modifiers are
// checked (name and macro syntax) and kept only for diagnostics; "redirect" and "exp" twice
// is an error; CIDR lengths with leading zeros ("/032") are an error; a domain-spec must
// end in a macro or "." and a valid top label. Gaps: none known.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/cidr.hpp"

namespace portcullis::filters::spf {

inline constexpr std::size_t kMaxRecordLength = 4096;
inline constexpr std::size_t kMaxTerms = 256;

enum class Qualifier : char { kPass = '+', kFail = '-', kSoftfail = '~', kNeutral = '?' };

enum class MechanismKind { kAll, kInclude, kA, kMx, kPtr, kIp4, kIp6, kExists };

struct Mechanism {
  Qualifier qualifier = Qualifier::kPass;
  MechanismKind kind = MechanismKind::kAll;
  std::string domain_spec;    // macro string; empty = the current <domain>
  config::IpAddress network;  // ip4 / ip6
  int cidr4 = 32;             // a, mx, ip4: prefix in the IPv4 space
  int cidr6 = 128;            // a, mx, ip6
  std::string text;           // the term as written, for reasons and logs

  // include, a, mx, ptr and exists count against the 10-lookup limit (4.6.4).
  bool uses_dns() const;
};

struct SpfRecord {
  std::vector<Mechanism> mechanisms;
  std::optional<std::string> redirect;  // domain-spec
  std::optional<std::string> exp;       // domain-spec
  std::size_t unknown_modifiers = 0;
};

struct RecordParse {
  std::optional<SpfRecord> record;
  std::string error;  // set when !record: "unknown mechanism 'foo'", …
};

// True when a TXT string is an SPF version 1 record: "v=spf1" (any case) followed by a
// space or the end (4.5).
bool is_spf_record(std::string_view txt);

// Parses a record that is_spf_record() accepted.
RecordParse parse_record(std::string_view text);

std::string_view to_string(MechanismKind kind);

// Printable, capped copy of untrusted text for reasons and logs: bytes outside visible
// ASCII (and backslash) become \xNN, at most `max` octets of input are shown ("..." marks
// the cut).
std::string printable_excerpt(std::string_view text, std::size_t max = 64);
// The same excerpt between single quotes ('ip4:x'), for reasons.
std::string quoted_excerpt(std::string_view text);

}  // namespace portcullis::filters::spf
