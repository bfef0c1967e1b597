// The outcome of one DKIM-Signature, as the filter and Authentication-Results need it.
// Codes are the RFC 8601 2.7.1 dkim results; to_string() spells them as RFC 8601 does.
// Untrusted content: domain, selector, algorithm, identity and signature_b come from the
// message (syntax-checked when the signature parsed; best effort otherwise) — quote or
// sanitise them before putting them into a header or a log line.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace portcullis::filters::dkim {

struct DkimResult {
  enum class Code : std::uint8_t {
    kNone,       // no signature (never produced per signature; for the caller's summary)
    kPass,
    kFail,       // well-formed, checked, did not verify (or expired / key revoked)
    kPolicy,     // well-formed but not acceptable here (rsa-sha1, short key, From unsigned)
    kNeutral,    // not checked (over the signature limit)
    kTemperror,  // key lookup failed temporarily (or was not done)
    kPermerror,  // malformed signature or key, no key, unsupported algorithm, …
  };

  Code code = Code::kNone;
  std::string domain;       // d=
  std::string selector;     // s=
  std::string algorithm;    // a=
  std::string identity;     // i=, or "@" + d=
  std::string signature_b;  // b= without FWS (header.b; the caller truncates)
  std::string reason;       // human text, stable enough for tests and logs
  bool body_truncated = false;  // l= covered less than the body: unsigned content follows
  bool key_testing = false;     // key record t=y (RFC 6376 3.6.1: treat as unsigned)
};

std::string_view to_string(DkimResult::Code code);

}  // namespace portcullis::filters::dkim
