#include "filters/dkim/crypto.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <utility>

namespace portcullis::filters::dkim {
namespace {

// Fetched once: OpenSSL 3 otherwise looks the implementation up (under a lock) on every
// digest and every verification.
const EVP_MD* md_of(HashAlgorithm algorithm) {
  static EVP_MD* const sha1 = EVP_MD_fetch(nullptr, "SHA1", nullptr);
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  const EVP_MD* fetched = algorithm == HashAlgorithm::kSha1 ? sha1 : sha256;
  if (fetched != nullptr) return fetched;
  return algorithm == HashAlgorithm::kSha1 ? EVP_sha1() : EVP_sha256();
}

constexpr std::size_t kEd25519KeyBytes = 32;
constexpr std::size_t kEd25519SignatureBytes = 64;

}  // namespace

Hasher::Hasher(HashAlgorithm algorithm) : ctx_(EVP_MD_CTX_new()) {
  if (ctx_ != nullptr && EVP_DigestInit_ex(ctx_, md_of(algorithm), nullptr) != 1) {
    EVP_MD_CTX_free(ctx_);
    ctx_ = nullptr;
  }
}

Hasher::~Hasher() { EVP_MD_CTX_free(ctx_); }

Hasher::Hasher(Hasher&& other) noexcept : ctx_(std::exchange(other.ctx_, nullptr)) {}

Hasher& Hasher::operator=(Hasher&& other) noexcept {
  if (this != &other) {
    EVP_MD_CTX_free(ctx_);
    ctx_ = std::exchange(other.ctx_, nullptr);
  }
  return *this;
}

void Hasher::update(std::string_view data) {
  if (ctx_ != nullptr && !data.empty()) EVP_DigestUpdate(ctx_, data.data(), data.size());
}

std::vector<std::uint8_t> Hasher::finish() {
  // An allocation failure yields an empty digest, which never matches anything.
  if (ctx_ == nullptr) return {};
  std::vector<std::uint8_t> out(EVP_MAX_MD_SIZE);
  unsigned int size = 0;
  if (EVP_DigestFinal_ex(ctx_, out.data(), &size) != 1) return {};
  out.resize(size);
  EVP_MD_CTX_free(ctx_);
  ctx_ = nullptr;
  return out;
}

std::vector<std::uint8_t> digest(HashAlgorithm algorithm, std::string_view data) {
  Hasher h(algorithm);
  h.update(data);
  return h.finish();
}

std::optional<PublicKey> PublicKey::load(KeyType type, const std::vector<std::uint8_t>& bytes,
                                         std::string& error) {
  if (type == KeyType::kEd25519) {
    if (bytes.size() != kEd25519KeyBytes) {
      error = "ed25519 key p= is not 32 bytes";
      return std::nullopt;
    }
    EVP_PKEY* key =
        EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, bytes.data(), bytes.size());
    if (key == nullptr) {
      ERR_clear_error();
      error = "ed25519 key p= is not a valid key";
      return std::nullopt;
    }
    return PublicKey(key, type, 256);
  }
  const unsigned char* p = bytes.data();
  EVP_PKEY* key = d2i_PUBKEY(nullptr, &p, static_cast<long>(bytes.size()));
  if (key == nullptr || p != bytes.data() + bytes.size()) {
    EVP_PKEY_free(key);
    ERR_clear_error();  // keep this thread's OpenSSL error queue clean for other users
    error = "rsa key p= is not a valid public key";
    return std::nullopt;
  }
  if (EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) {
    EVP_PKEY_free(key);
    error = "key p= is not an RSA key";
    return std::nullopt;
  }
  const int bits = EVP_PKEY_get_bits(key);
  if (bits > kMaxRsaBits) {
    EVP_PKEY_free(key);
    error = "rsa key too long (" + std::to_string(bits) + " bits)";
    return std::nullopt;
  }
  return PublicKey(key, type, bits);
}

PublicKey::~PublicKey() { EVP_PKEY_free(key_); }

PublicKey::PublicKey(PublicKey&& other) noexcept
    : key_(std::exchange(other.key_, nullptr)), type_(other.type_), bits_(other.bits_) {}

PublicKey& PublicKey::operator=(PublicKey&& other) noexcept {
  if (this != &other) {
    EVP_PKEY_free(key_);
    key_ = std::exchange(other.key_, nullptr);
    type_ = other.type_;
    bits_ = other.bits_;
  }
  return *this;
}

bool PublicKey::verify(HashAlgorithm hash, const std::vector<std::uint8_t>& digest,
                       const std::vector<std::uint8_t>& signature) const {
  if (key_ == nullptr || digest.empty() || signature.empty()) return false;
  if (type_ == KeyType::kEd25519) {
    if (hash != HashAlgorithm::kSha256 || signature.size() != kEd25519SignatureBytes) {
      return false;
    }
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    if (ctx == nullptr) return false;
    bool ok = EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, key_) == 1 &&
              EVP_DigestVerify(ctx, signature.data(), signature.size(), digest.data(),
                               digest.size()) == 1;
    EVP_MD_CTX_free(ctx);
    ERR_clear_error();
    return ok;
  }
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new(key_, nullptr);
  if (ctx == nullptr) return false;
  const bool ok = EVP_PKEY_verify_init(ctx) == 1 &&
                  EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1 &&
                  EVP_PKEY_CTX_set_signature_md(ctx, md_of(hash)) == 1 &&
                  EVP_PKEY_verify(ctx, signature.data(), signature.size(), digest.data(),
                                  digest.size()) == 1;
  EVP_PKEY_CTX_free(ctx);
  ERR_clear_error();
  return ok;
}

}  // namespace portcullis::filters::dkim
