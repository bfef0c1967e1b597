// A parsed DKIM key record (RFC 6376 3.6.1; k=ed25519 per RFC 8463), the TXT data at
// <selector>._domainkey.<domain> with its character-strings already concatenated.
// Untrusted input: the record, from DNS. Checked: the tag-list syntax (duplicates are an
// error); v=, if present, is the first tag and exactly "DKIM1"; k= is "rsa" (the default)
// or "ed25519"; p= is present and valid base64 (empty p= = revoked, not an error); s=
// names "email" or "*"; h= and t= are colon lists (unknown entries ignored, RFC 6376 3.6.1).
// Not checked here: whether p= holds a usable key of the right size (crypto.hpp), whether
// h=/k= fit the signature's a= (the verifier).
// Limits: kMaxKeyRecord bytes. Gaps: n= is ignored (human notes); g= (RFC 4871 granularity,
// removed by RFC 6376) is ignored.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "filters/dkim/dkim_signature.hpp"

namespace portcullis::filters::dkim {

inline constexpr std::size_t kMaxKeyRecord = 8 * 1024;

struct DkimKey {
  KeyType type = KeyType::kRsa;
  std::vector<std::string> hashes;  // h=, lowercased; empty = any hash allowed
  std::vector<std::uint8_t> public_key;  // p= decoded; empty = revoked
  bool revoked = false;
  bool testing = false;  // t=y
  bool strict = false;   // t=s: i= domain must equal d=

  bool allows(HashAlgorithm hash) const;
};

struct ParsedKey {
  DkimKey key;
  std::string error;  // empty = well-formed
  bool ok() const { return error.empty(); }
};

ParsedKey parse_key(std::string_view record);

}  // namespace portcullis::filters::dkim
