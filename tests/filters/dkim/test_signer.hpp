// A DKIM signer for tests only (the library verifies, it never signs): builds a
// DKIM-Signature with OpenSSL over the library's canonical forms, for round trips with the
// RFC 8463 test keys of shared/testdata/dkim/keys. Header-only, test code.
#pragma once

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "filters/dkim/base64.hpp"
#include "filters/dkim/canonicalization.hpp"
#include "filters/dkim/crypto.hpp"
#include "filters/dkim/message_headers.hpp"
#include "filters/dkim/text.hpp"
#include "test_support.hpp"

namespace portcullis::filters::dkim::testing {

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

inline Pkey load_rsa_private(const std::string& path) {
  const std::string pem = read_file(path);
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (key == nullptr) throw std::runtime_error("cannot read RSA key " + path);
  return Pkey(key);
}

inline Pkey load_ed25519_seed(const std::string& path) {
  const auto seed = base64_decode(read_file(path));
  if (!seed || seed->size() != 32) throw std::runtime_error("bad ed25519 seed " + path);
  EVP_PKEY* key =
      EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed->data(), seed->size());
  if (key == nullptr) throw std::runtime_error("cannot make ed25519 key");
  return Pkey(key);
}

inline Pkey generate_rsa(unsigned bits) {
  return Pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(bits)));
}

// The key record ("v=DKIM1; k=...; p=...") for a private key's public half.
inline std::string key_record(EVP_PKEY* key, const std::string& extra = "") {
  std::vector<std::uint8_t> pub;
  std::string type;
  if (EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519) {
    std::size_t len = 32;
    pub.resize(len);
    EVP_PKEY_get_raw_public_key(key, pub.data(), &len);
    type = "ed25519";
  } else {
    const int len = i2d_PUBKEY(key, nullptr);
    pub.resize(static_cast<std::size_t>(len));
    unsigned char* p = pub.data();
    i2d_PUBKEY(key, &p);
    type = "rsa";
  }
  return "v=DKIM1; k=" + type + "; " + extra + "p=" + base64(pub);
}

struct SignSpec {
  std::string a = "rsa-sha256";
  std::string c = "relaxed/relaxed";
  std::string d = "example.com";
  std::string s = "rsa1";
  std::string h = "from:to:subject";
  std::optional<std::uint64_t> l;
  std::string extra;  // more tags, each ending in "; " (e.g. "t=1700000000; ")
};

// Returns the message with a DKIM-Signature field prepended.
inline std::string sign(const std::string& message, EVP_PKEY* key, const SignSpec& spec) {
  const auto slash = spec.c.find('/');
  const Canonicalization hc = spec.c.substr(0, slash) == "relaxed" ? Canonicalization::kRelaxed
                                                                   : Canonicalization::kSimple;
  const Canonicalization bc = slash != std::string::npos && spec.c.substr(slash + 1) == "relaxed"
                                  ? Canonicalization::kRelaxed
                                  : Canonicalization::kSimple;
  const HashAlgorithm hash = spec.a == "rsa-sha1" ? HashAlgorithm::kSha1 : HashAlgorithm::kSha256;
  const MessageView view = split_message(message);

  Hasher body_hasher(hash);
  BodyCanonicalizer canon(bc, spec.l, [&](std::string_view chunk) { body_hasher.update(chunk); });
  canon.feed(view.body);
  canon.finish();
  const std::string bh = base64(body_hasher.finish());

  std::string value = " v=1; a=" + spec.a + "; c=" + spec.c + "; d=" + spec.d + "; s=" + spec.s +
                      ";\r\n " + spec.extra;
  if (spec.l) value.append("l=" + std::to_string(*spec.l) + "; ");
  value.append("h=" + spec.h + ";\r\n bh=" + bh + ";\r\n b=");

  std::vector<std::string> names;
  std::size_t pos = 0;
  while (true) {
    const std::size_t colon = spec.h.find(':', pos);
    names.push_back(lower(trim_fws(std::string_view(spec.h).substr(
        pos, colon == std::string::npos ? std::string::npos : colon - pos))));
    if (colon == std::string::npos) break;
    pos = colon + 1;
  }
  std::string data;
  for (const HeaderField* f : select_headers(view.fields, names, nullptr)) {
    if (f == nullptr) continue;
    canonicalize_header(hc, f->raw, data);
    data.append("\r\n");
  }
  canonicalize_header(hc, "DKIM-Signature:" + value, data);

  std::vector<std::uint8_t> sig;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  std::size_t len = 0;
  if (EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519) {
    const std::vector<std::uint8_t> d = digest(HashAlgorithm::kSha256, data);
    EVP_DigestSignInit(ctx, nullptr, nullptr, nullptr, key);
    EVP_DigestSign(ctx, nullptr, &len, d.data(), d.size());
    sig.resize(len);
    EVP_DigestSign(ctx, sig.data(), &len, d.data(), d.size());
  } else {
    EVP_DigestSignInit(ctx, nullptr, hash == HashAlgorithm::kSha1 ? EVP_sha1() : EVP_sha256(),
                       nullptr, key);
    EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(data.data()),
                   data.size());
    sig.resize(len);
    EVP_DigestSign(ctx, sig.data(), &len, reinterpret_cast<const unsigned char*>(data.data()),
                   data.size());
  }
  sig.resize(len);
  EVP_MD_CTX_free(ctx);
  return "DKIM-Signature:" + value + base64(sig) + "\r\n" + message;
}

}  // namespace portcullis::filters::dkim::testing
