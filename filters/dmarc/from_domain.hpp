// The RFC5322.From domain that DMARC evaluates (RFC 7489 3.1, 6.6.1), taken from the raw
// header block of a message. Pure function, no I/O, no MIME library.
// Untrusted input: the whole message as received (any bytes; CRLF or bare LF line ends; the
// header block ends at the first empty line or at the end of the input).
// Rules: exactly one From header field (name case-insensitive, WSP before the colon allowed),
// unfolded; its value must hold exactly one mailbox (RFC 5322 3.4): display names, quoted
// strings, comments (nested), angle addresses with an obsolete route, CFWS around dots are
// understood; the domain must be a DNS name (LDH labels, '_' allowed) and is lowercased.
// Anything else is an outcome with a status and a clear reason, which the caller reports as
// DMARC permerror: no From, several From fields, a group, several or no mailboxes, no domain,
// an address literal, a U-label domain, a syntax error.
// Limits (FromLimits): header block size, From value size.
// Gaps: RFC 7489 6.6.1 allows evaluating a multi-mailbox From whose domains are all equal;
// we refuse every From with more than one mailbox. U-label (IDN) domains are refused, not
// converted to A-labels. Encoded words (RFC 2047) in display names are left encoded (unused).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace portcullis::filters::dmarc {

struct FromLimits {
  std::size_t max_header_block = 1024 * 1024;  // bytes scanned for the end of the header block
  std::size_t max_from_length = 16 * 1024;      // bytes of the unfolded From value
};

struct FromDomain {
  enum class Status : std::uint8_t {
    kOk,
    kNoFrom,             // no From header field
    kMultipleFrom,       // more than one From header field
    kTooLong,            // header block or From value over FromLimits
    kSyntax,             // the From value does not parse
    kGroup,              // a group ("Team: a@x, b@y;"): no single author
    kNoMailbox,          // no mailbox at all ("From: " or "undisclosed:;")
    kMultipleMailboxes,  // more than one mailbox
    kNoDomain,           // a mailbox without "@domain" ("From: alice", "<>")
    kBadDomain,          // an address literal, a U-label or otherwise not a DNS name
  };
  Status status = Status::kNoFrom;
  std::string domain;   // kOk: lowercase, no trailing dot
  std::string address;  // the addr-spec found (printable excerpt, for logs), may be empty
  std::string reason;   // empty when kOk
  bool ok() const { return status == Status::kOk; }
};

FromDomain extract_from_domain(std::string_view message, const FromLimits& limits = {});

}  // namespace portcullis::filters::dmarc
