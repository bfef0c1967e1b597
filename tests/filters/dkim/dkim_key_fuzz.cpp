// Fuzz target for the key-record parser and the OpenSSL key loader: a record that parses
// has a coherent key, loading its p= as either key type never crashes, and a loaded key
// obeys the size limits.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "filters/dkim/crypto.hpp"
#include "filters/dkim/dkim_key.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace portcullis::filters::dkim::fuzz {
namespace {

void check_key(std::string_view in) {
  const ParsedKey k = parse_key(in);
  FUZZ_CHECK(parse_key(in).error == k.error);
  if (!k.ok()) return;
  FUZZ_CHECK(in.size() <= kMaxKeyRecord);
  FUZZ_CHECK(k.key.revoked == k.key.public_key.empty());
  FUZZ_CHECK(k.key.public_key.size() <= in.size());
  if (k.key.hashes.empty()) {
    FUZZ_CHECK(k.key.allows(HashAlgorithm::kSha1) && k.key.allows(HashAlgorithm::kSha256));
  }
  for (KeyType type : {KeyType::kRsa, KeyType::kEd25519}) {
    std::string error;
    const auto key = PublicKey::load(type, k.key.public_key, error);
    FUZZ_CHECK(key.has_value() == error.empty());
    if (!key) continue;
    FUZZ_CHECK(key->type() == type);
    FUZZ_CHECK(key->bits() > 0 && key->bits() <= kMaxRsaBits);
    if (type == KeyType::kEd25519) FUZZ_CHECK(k.key.public_key.size() == 32);
    // A signature check with junk never succeeds and never crashes.
    const std::vector<std::uint8_t> digest(32, 0x5a);
    FUZZ_CHECK(!key->verify(HashAlgorithm::kSha256, digest, k.key.public_key));
  }
}

}  // namespace
}  // namespace portcullis::filters::dkim::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  portcullis::filters::dkim::fuzz::check_key(
      std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
