// A parsed DKIM-Signature header field value (RFC 6376 3.5, algorithms per RFC 8301 and
// RFC 8463). parse_signature() checks syntax and the RFC's MUSTs that need no DNS and no
// clock: v=1; a=, b=, bh=, d=, h=, s= present; c= and q= known; i= equal to d= or a
// subdomain of it; l=, t=, x= decimal with x= >= t=; b=/bh= valid base64.
// Untrusted input: the header value (everything after "DKIM-Signature:"), any bytes.
// Policy facts are recorded, not judged here: rsa-sha1 (RFC 8301) and h= without From are
// parsed fine and judged by the verifier (result "policy").
// Limits: kMaxSignatureValue bytes of value, kMaxSignedHeaders h= entries, d=/s= as DNS
// names (labels of letters, digits, '-', '_'; 253 octets in all with "._domainkey.").
// Gaps: EAI (UTF-8) d=/s= are refused; q= options beyond "dns/txt" are refused; z= (copied
// headers) is ignored.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis::filters::dkim {

enum class SignatureAlgorithm : std::uint8_t { kRsaSha1, kRsaSha256, kEd25519Sha256 };
enum class HashAlgorithm : std::uint8_t { kSha1, kSha256 };
enum class KeyType : std::uint8_t { kRsa, kEd25519 };
enum class Canonicalization : std::uint8_t { kSimple, kRelaxed };

HashAlgorithm hash_of(SignatureAlgorithm a);
KeyType key_type_of(SignatureAlgorithm a);

inline constexpr std::size_t kMaxSignatureValue = 16 * 1024;
inline constexpr std::size_t kMaxSignedHeaders = 128;

struct DkimSignature {
  SignatureAlgorithm algorithm = SignatureAlgorithm::kRsaSha256;
  Canonicalization header_canon = Canonicalization::kSimple;
  Canonicalization body_canon = Canonicalization::kSimple;
  std::string domain;                 // d=, lowercased
  std::string selector;               // s=, lowercased
  std::string identity;               // i=, or "@" + d= when absent
  std::vector<std::string> headers;   // h=, lowercased, in signed order
  std::vector<std::uint8_t> signature;  // b= decoded
  std::vector<std::uint8_t> body_hash;  // bh= decoded
  std::optional<std::uint64_t> body_length;  // l=
  std::optional<std::int64_t> timestamp;     // t=
  std::optional<std::int64_t> expiration;    // x=
  bool from_signed = false;  // h= names From
  // For hashing the signature itself: [b_value_begin, b_value_end) of the header value is
  // deleted (RFC 6376 3.7: "the value of the b= tag ... treated as the empty string").
  std::size_t b_value_begin = 0;
  std::size_t b_value_end = 0;

  // "<s>._domainkey.<d>", the TXT name of the key.
  std::string key_name() const;
};

struct ParsedSignature {
  DkimSignature signature;
  std::string error;  // empty = well-formed; otherwise why it is a permerror
  // Reported even on errors, as far as they could be read (for Authentication-Results).
  std::string domain, selector, algorithm, b;  // b = b= without FWS

  bool ok() const { return error.empty(); }
};

ParsedSignature parse_signature(std::string_view value);

// A DNS name as DKIM uses it for d= and s=: dot-separated labels of 1-63 letters, digits,
// '-' or '_' (no leading/trailing '-'), at most 253 octets.
bool is_dkim_domain(std::string_view name);

// The key record name ("s._domainkey.d", lowercase) of a DKIM-Signature value, from its d=
// and s= alone — nothing else is parsed or checked (for asking DNS early; the verifier
// judges the signature). nullopt when the tag list or either tag is unusable.
std::optional<std::string> signature_key_name(std::string_view value);

}  // namespace portcullis::filters::dkim
