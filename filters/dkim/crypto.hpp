// The OpenSSL side of DKIM: streaming SHA-1/SHA-256, public keys from key-record p= bytes
// (RSA: SubjectPublicKeyInfo DER via d2i_PUBKEY; Ed25519: the raw 32 bytes, RFC 8463 4),
// and signature checks over a header-hash digest: RSASSA-PKCS1-v1_5 with the digest's
// algorithm, or PureEd25519 over the 32-byte SHA-256 digest (RFC 8463 3: Ed25519 signs the
// SHA-256 of the canonical header data, so the digest itself is the "message").
// Untrusted input: key bytes (DNS) and signature bytes (message header).
// Limits: RSA keys above kMaxRsaBits are refused (verification cost); the minimum size is
// policy and lives in VerifyOptions. Gaps: PKCS#1 RSAPublicKey in p= (not SPKI) is refused.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "filters/dkim/dkim_signature.hpp"

struct evp_md_ctx_st;
struct evp_pkey_st;

namespace portcullis::filters::dkim {

inline constexpr int kMaxRsaBits = 8192;

class Hasher {
 public:
  explicit Hasher(HashAlgorithm algorithm);
  ~Hasher();
  Hasher(Hasher&& other) noexcept;
  Hasher& operator=(Hasher&& other) noexcept;
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;

  void update(std::string_view data);
  std::vector<std::uint8_t> finish();  // once

 private:
  evp_md_ctx_st* ctx_ = nullptr;
};

std::vector<std::uint8_t> digest(HashAlgorithm algorithm, std::string_view data);

class PublicKey {
 public:
  // nullopt with `error` set when the bytes are not a key of that type.
  static std::optional<PublicKey> load(KeyType type, const std::vector<std::uint8_t>& bytes,
                                       std::string& error);
  ~PublicKey();
  PublicKey(PublicKey&& other) noexcept;
  PublicKey& operator=(PublicKey&& other) noexcept;
  PublicKey(const PublicKey&) = delete;
  PublicKey& operator=(const PublicKey&) = delete;

  KeyType type() const { return type_; }
  int bits() const { return bits_; }

  // digest = the hash (SHA-1 or SHA-256 per `hash`) of the canonical header data.
  bool verify(HashAlgorithm hash, const std::vector<std::uint8_t>& digest,
              const std::vector<std::uint8_t>& signature) const;

 private:
  PublicKey(evp_pkey_st* key, KeyType type, int bits) : key_(key), type_(type), bits_(bits) {}
  evp_pkey_st* key_ = nullptr;
  KeyType type_ = KeyType::kRsa;
  int bits_ = 0;
};

}  // namespace portcullis::filters::dkim
