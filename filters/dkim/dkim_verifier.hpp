// DKIM verification of one message (RFC 6376 6, RFC 8301, RFC 8463), pure: no I/O. Keys
// come from a dns::DnsView. Construct once per message: the header is split and every
// DKIM-Signature parsed; key_questions() lists the TXT lookups; hash_bodies() (run by
// verify() if the caller did not) computes each body hash once per distinct (body
// canonicalization, hash, l=), streaming, so it can run while the keys are still in flight;
// evaluate()/verify() may then be called as often as answers arrive (cheap re-runs).
// Lifetime: the Verifier keeps a view of `message`; the caller keeps the bytes alive.
// Untrusted input: the message (any bytes) and every key record.
//
// Outcome mapping (the choices this header documents):
//  - no DKIM-Signature: empty vector (the caller reports dkim=none);
//  - malformed signature (syntax, missing tag, unknown a=/c=/q=, bad i=, x= < t=): permerror;
//  - well-formed but not acceptable here → policy: a=rsa-sha1 (RFC 8301 3.1 MUST NOT),
//    RSA key under min_rsa_bits (RFC 8301 3.2), h= without From (RFC 6376 5.4 MUST; RFC
//    6376 calls it PERMFAIL, we say "policy" because the signature itself is intact);
//  - x= in the past (beyond clock_skew): fail "signature expired" (RFC 6376 6.1.1 PERMFAIL:
//    the signer declared it invalid, a verification failure rather than a syntax error);
//    t= in the future beyond clock_skew: fail as well (RFC 6376 3.5 lets verifiers ignore);
//  - key: temporary DNS failure → temperror; NXDOMAIN/NODATA → permerror "no key for
//    signature"; several TXT records → the first (of kMaxKeyRecords) that parses as a DKIM
//    key is used, none parsing → permerror with the first record's error; malformed key,
//    k= not matching a=, key h= excluding the hash, s= not email, t=s with i= ≠ d=: permerror;
//    revoked (empty p=): fail "key revoked" (RFC 6376 3.6.1 "failed signature check");
//  - body hash mismatch or canonical body shorter than l=: fail; bad signature: fail;
//  - signatures past max_signatures: neutral "not checked"; a header over the split limits
//    (message_headers.hpp): permerror for every signature seen.
// Signatures decided before any key is needed (permerror, policy, expired, not checked)
// are not in key_questions(). Results come in header order, top to bottom.
// l=: a pass with l= shorter than the body sets body_truncated (unsigned content follows;
// RFC 6376 8.2) — the caller decides what that is worth.
// Limits: see dkim_signature.hpp, dkim_key.hpp, message_headers.hpp, crypto.hpp.
// Gaps: ARC, DKIM reporting (r=, RFC 6651) and EAI domains are out of scope.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "filters/dkim/dkim_result.hpp"
#include "filters/dkim/dkim_signature.hpp"
#include "filters/dkim/message_headers.hpp"
#include "filters/dns/dns_answer.hpp"

namespace portcullis::filters::dkim {

inline constexpr std::size_t kMaxKeyRecords = 4;

struct VerifyOptions {
  std::int64_t now = 0;               // unix seconds (injected clock)
  unsigned min_rsa_bits = 1024;       // RFC 8301 3.2
  std::size_t max_signatures = 8;     // checked; later ones are reported, not checked
  std::int64_t clock_skew = 300;      // seconds allowed around t= and x=
};

class Verifier {
 public:
  Verifier(std::string_view message, VerifyOptions options);

  // TXT "<s>._domainkey.<d>" for each signature that needs its key, without duplicates.
  std::vector<dns::Question> key_questions() const;

  // Body hashes, once (idempotent). CPU-bound, linear in body size × distinct hashes.
  void hash_bodies();

  // The results, or the key questions still unanswered in `keys` (find() returned null).
  dns::Evaluation<std::vector<DkimResult>> evaluate(dns::DnsView& keys);

  // The results; a key not in `keys` counts as temperror ("key not looked up").
  std::vector<DkimResult> verify(dns::DnsView& keys);

 private:
  struct BodyHashKey {
    Canonicalization canon;
    HashAlgorithm hash;
    std::optional<std::uint64_t> limit;
    bool operator==(const BodyHashKey&) const = default;
  };
  struct BodyHash {
    BodyHashKey key;
    std::vector<std::uint8_t> digest;
    std::uint64_t canonical_length = 0;
  };
  struct Entry {
    ParsedSignature parsed;
    std::size_t field = 0;              // index into view_.fields
    std::optional<DkimResult> decided;  // outcome known without the key
    std::size_t body_hash = 0;          // index into body_hashes_
  };

  std::vector<DkimResult> run(dns::DnsView& keys, bool unknown_is_error,
                              std::vector<dns::Question>* needs);
  DkimResult check(const Entry& entry, const dns::Answer& answer) const;
  DkimResult base_result(const Entry& entry) const;
  std::vector<std::uint8_t> header_digest(const Entry& entry) const;

  std::string_view message_;
  VerifyOptions options_;
  MessageView view_;
  std::vector<Entry> entries_;
  std::vector<BodyHash> body_hashes_;
  bool bodies_hashed_ = false;
};

}  // namespace portcullis::filters::dkim
