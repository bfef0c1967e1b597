// Reads Received fields into relays (who handed the message to whom, from which IP) and
// renders SpamAssassin's relay pseudo-headers X-Spam-Relays-Trusted/-Untrusted/-Internal/
// -External, so that imported SpamAssassin header rules on those names match the same
// messages as under `spamassassin -L -t` (SpamAssassin 4.0.1, Message/Metadata/Received.pm).
// Each relay renders as
//   [ ip=192.0.2.1 rdns=mail.example.org helo=mail.example.org by=mx.example.net ident=
//     envfrom= intl=0 id=4Xyz auth= msa=0 ]
// (one line), relays joined by one space, the most recent hop (topmost field) first.
// Trust is inferred the way SpamAssassin does with no trusted_networks/internal_networks
// configured: relays stay trusted (and internal) from the top while their IP is private
// (10/8, 127/8, 169.254/16, 172.16/12, 192.168/16, 100.64/10, fe80::/10, ::1, IPv4-mapped
// forms of those) or the field shows authentication (ESMTPA, ESMTPSA, "Authenticated
// sender:", …); the first other relay and all below it are untrusted (and external).
// Untrusted input: every Received value and every originating-IP value. Parsing is a
// hand-written scan: the ~90 formats are stated with a small compile-time backtracking
// matcher (match_kit.hpp: no regex engine, nothing compiled per call, recursion depth fixed
// by the patterns) and tried in SpamAssassin's order with its greedy/lazy semantics.
// Limits: the topmost kMaxReceivedFields fields are read, the rest ignored (counted); a
// value longer than kMaxFieldBytes is not parsed (counted unparseable, as SpamAssassin
// counts a field it cannot read); each value gets a budget of matcher steps (plenty for
// real lines; a value that spends it is counted unparseable); originating-IP values are
// read up to kMaxOriginatingBytes and at most kOriginatingIpHeaders.size() of them.
// Output is therefore bounded.
// Gaps: RFC 2047 encoded words in Received values are not decoded (SpamAssassin decodes
// them first); non-ASCII whitespace (U+0085, U+00A0) is not treated as whitespace; no
// trusted_networks/internal_networks/msa_networks configuration and no "originating" hint
// (SpamAssassin's msa= is therefore always 0, intl= equals trusted); fields below the
// 50th are dropped where SpamAssassin reads them all; a value over kMaxFieldBytes or over
// the step budget may be one SpamAssassin reads. SpamAssassin uses only the last instance
// of each originating-IP header: a caller passing every instance gets one relay per
// instance.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis::received {

inline constexpr std::size_t kMaxReceivedFields = 50;
inline constexpr std::size_t kMaxFieldBytes = 4096;
inline constexpr std::size_t kMaxOriginatingBytes = 1024;

// The header fields SpamAssassin's shipped 10_default_prefs.cf names in
// originating_ip_headers. Pass the value of the last instance of each (in this order, only
// those present) to relay_headers: the first IP address found in each becomes a synthetic
// relay below the Received chain ("[ ip=… rdns= helo= by= … ]").
inline constexpr std::array<std::string_view, 6> kOriginatingIpHeaders = {
    "X-Yahoo-Post-IP", "X-Originating-IP", "X-Apparently-From", "X-SenderIP", "X-AOL-IP",
    "X-MS-Exchange-CrossTenant-OriginalAttributedTenantConnectingIp"};

struct Relay {
  std::string ip, by, helo, rdns, ident, envfrom, id, auth;
  bool msa = false;
  bool internal = false;
  bool trusted = false;
  bool ip_private = false;  // SpamAssassin's IP_PRIVATE on the final ip
};

// What one Received value is, to SpamAssassin.
enum class LineOutcome {
  kRelay,        // a handover with (usually) an IP and a "by" host
  kSkipped,      // known not to be a network handover (local submission, qmail notes, …)
  kUnparseable,  // not understood (SpamAssassin's num_relays_unparseable)
  kMailFetch,    // fetchmail/getmail marker ("with POP3"/"with IMAP"): relays above it
                 // are forgotten if they were all trusted
};

// One Received value (unfolded or not; the field name excluded). On kRelay fills *relay
// (trusted/internal/msa left false).
LineOutcome parse_received_line(std::string_view value, Relay* relay);

// The relay of one Received value, if it is one.
std::optional<Relay> parse_received(std::string_view value);

// "[ ip=… rdns=… helo=… by=… ident=… envfrom=… intl=0|1 id=… auth=… msa=0|1 ]"
std::string relay_string(const Relay& relay);

struct RelayHeaders {
  std::string trusted, untrusted, internal, external;  // the four pseudo-header values
  std::vector<Relay> relays;  // every relay kept, top first, trusted/internal set
  std::size_t unparseable = 0;
  std::size_t ignored_fields = 0;  // beyond kMaxReceivedFields
};

// received_values: the message's Received values, top first as in the message.
// originating_ip_values: see kOriginatingIpHeaders.
RelayHeaders relay_headers(const std::vector<std::string_view>& received_values,
                           const std::vector<std::string_view>& originating_ip_values = {});

}  // namespace portcullis::received
