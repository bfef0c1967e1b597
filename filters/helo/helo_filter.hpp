// HELO checks (DESIGN.md "Config", filters.helo): scores what the client calls itself in
// HELO/EHLO at the helo stage. It adds symbols and decides nothing alone, except with
// `reject_forged_own: true`, where a client claiming to be us is refused with
// `550 5.7.1 Helo command rejected: You are not me`.
//   HELO_BAD_SYNTAX   3.0  neither a valid domain nor an address literal (helo_name.hpp)
//   HELO_BARE_IP      2.0  an IP address without brackets ("192.0.2.1")
//   HELO_NOT_FQDN     1.0  a valid name without a dot ("localhost", "mypc")
//   HELO_FORGED_OWN   5.0  our hostname, or one of our addresses (bare or as a literal),
//                          from a client that is neither one of our addresses nor loopback
//   HELO_IP_MISMATCH  1.0  an address literal that is not the client's address
// Scores are configurable per symbol (`scores: {HELO_BARE_IP: 4}`, the config's score
// syntax: "2", "-1.5"; negative = a bonus). A HELO can earn several symbols ("[our ip]"
// from a stranger: HELO_FORGED_OWN and HELO_IP_MISMATCH).
// Untrusted input: the HELO argument. Symbol details carry it sanitised (printable ASCII,
// other bytes as '?') and capped at 64 bytes.
// Gaps: no DNS checks (the HELO name resolving, or to the client); a client whose address
// is unknown (the unspecified address ::, e.g. an offline scan without --client-ip) gets
// neither HELO_FORGED_OWN nor HELO_IP_MISMATCH; an empty HELO earns nothing.
#pragma once

#include <memory>
#include <string_view>

#include "filters/api/filter_factory.hpp"

namespace portcullis::filters::helo {

inline constexpr std::string_view kFilterName = "helo";

inline constexpr std::string_view kBadSyntax = "HELO_BAD_SYNTAX";
inline constexpr std::string_view kBareIp = "HELO_BARE_IP";
inline constexpr std::string_view kNotFqdn = "HELO_NOT_FQDN";
inline constexpr std::string_view kForgedOwn = "HELO_FORGED_OWN";
inline constexpr std::string_view kIpMismatch = "HELO_IP_MISMATCH";

inline constexpr double kDefaultBadSyntaxScore = 3.0;
inline constexpr double kDefaultBareIpScore = 2.0;
inline constexpr double kDefaultNotFqdnScore = 1.0;
inline constexpr double kDefaultForgedOwnScore = 5.0;
inline constexpr double kDefaultIpMismatchScore = 1.0;

// The factory main registers under `filters: { helo: ... }`.
std::shared_ptr<const FilterFactory> make_helo_factory();

}  // namespace portcullis::filters::helo
