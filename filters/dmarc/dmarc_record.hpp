// A DMARC policy record (RFC 7489 6.3, 6.4): "v=DMARC1; p=reject; sp=...; pct=...; ...".
// Pure parser, no I/O.
// Untrusted input: the TXT record text, as published by whoever controls the DNS zone (any
// bytes, any length; the resolver has concatenated the strings of one TXT RR).
// Rules: "v=DMARC1" must be the first tag ("v" case-insensitively, "DMARC1" exactly, spaces
// around "=" allowed); tag names and keyword values are case-insensitive; unknown tags are
// ignored; a known tag given twice, or with a bad value, makes the record invalid (reason
// says which); a missing or invalid p= (or an invalid sp=) with at least one syntactically
// valid rua URI reads as p=none (RFC 7489 6.6.3 step 6), otherwise the record is invalid.
// Invalid rua/ruf URIs are dropped (counted), not fatal.
// Limits (RecordLimits): record length, tag count, URIs kept per list; beyond them the record
// is invalid (length, tags) or the extra URIs are dropped.
// Gaps: reports are not sent (rua/ruf/fo/rf/ri are parsed and kept for a later issue);
// DMARCbis tags (np=, psd=, t=) are unknown tags, hence ignored.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis::filters::dmarc {

// Requested handling of failing mail (p=, sp=), in increasing strength.
enum class Policy : std::uint8_t { kNone, kQuarantine, kReject };
std::string_view to_string(Policy p);  // "none", "quarantine", "reject"

// adkim= / aspf=.
enum class Alignment : std::uint8_t { kRelaxed, kStrict };
std::string_view to_string(Alignment a);  // "relaxed", "strict"

// One rua/ruf entry: "mailto:dmarc@example.com!10m".
struct ReportUri {
  std::string uri;                           // as published (percent-encoding kept)
  std::optional<std::uint64_t> max_bytes;    // the "!size[kmgt]" suffix, in bytes
  bool operator==(const ReportUri&) const = default;
};

struct DmarcRecord {
  Policy policy = Policy::kNone;            // p=
  Policy subdomain_policy = Policy::kNone;  // sp=, equal to p= when absent
  bool has_subdomain_policy = false;        // sp= was given
  int pct = 100;                            // pct=, 0..100
  Alignment adkim = Alignment::kRelaxed;
  Alignment aspf = Alignment::kRelaxed;
  std::vector<ReportUri> rua;               // valid URIs only, at most RecordLimits::max_uris
  std::vector<ReportUri> ruf;
  std::size_t dropped_uris = 0;             // invalid or over-limit rua/ruf entries
  std::vector<std::string> fo = {"0"};      // fo=, each one of 0 1 d s (lowercase)
  std::vector<std::string> rf = {"afrf"};   // rf=, lowercase keywords
  std::uint32_t ri = 86400;                 // ri=, seconds
  // p= (or sp=) was missing or invalid but rua had a valid URI: read as p=none (6.6.3).
  bool policy_defaulted = false;
  std::string note;                         // why policy_defaulted, empty otherwise
};

struct RecordLimits {
  std::size_t max_length = 2048;   // bytes of the whole TXT record
  std::size_t max_tags = 32;       // tag=value pairs, unknown ones included
  std::size_t max_uris = 8;        // kept per rua/ruf list (RFC 7489 6.2: receivers may cap)
  std::size_t max_uri_length = 512;
};

struct ParsedRecord {
  enum class Status : std::uint8_t {
    kNotDmarc,  // does not start with v=DMARC1: some other TXT record, to be ignored
    kValid,
    kInvalid,   // starts with v=DMARC1 but cannot be used; `reason` says why
  };
  Status status = Status::kNotDmarc;
  DmarcRecord record;  // meaningful when kValid
  std::string reason;  // kInvalid: what is wrong ("invalid p= value \"bogus\"", …)
  bool valid() const { return status == Status::kValid; }
};

// True when `txt` starts with the v=DMARC1 tag (the candidate filter of RFC 7489 6.6.3).
bool starts_with_dmarc_version(std::string_view txt);

ParsedRecord parse_dmarc_record(std::string_view txt, const RecordLimits& limits = {});

}  // namespace portcullis::filters::dmarc
