#include "filters/dkim/key_cache.hpp"

#include <gtest/gtest.h>

#include "test_signer.hpp"

namespace portcullis::filters::dkim {
namespace {

std::vector<std::uint8_t> spki(EVP_PKEY* key) {
  const int len = i2d_PUBKEY(key, nullptr);
  std::vector<std::uint8_t> out(static_cast<std::size_t>(len));
  unsigned char* p = out.data();
  i2d_PUBKEY(key, &p);
  return out;
}

TEST(KeyCache, SameBytesGiveTheSameDecodedKey) {
  const auto key = testing::generate_rsa(1024);
  const auto bytes = spki(key.get());
  std::string error;
  const auto first = cached_public_key(KeyType::kRsa, bytes, error);
  ASSERT_NE(first, nullptr) << error;
  EXPECT_EQ(first->bits(), 1024);
  const std::size_t held = cached_key_count();
  const auto second = cached_public_key(KeyType::kRsa, bytes, error);
  EXPECT_EQ(first.get(), second.get());  // decoded once
  EXPECT_EQ(cached_key_count(), held);
  // The type is part of the key: the same bytes are no Ed25519 key.
  EXPECT_EQ(cached_public_key(KeyType::kEd25519, bytes, error), nullptr);
  EXPECT_EQ(error, "ed25519 key p= is not 32 bytes");
}

TEST(KeyCache, BadKeysAreNotKept) {
  const std::size_t held = cached_key_count();
  std::string error;
  EXPECT_EQ(cached_public_key(KeyType::kRsa, {1, 2, 3}, error), nullptr);
  EXPECT_EQ(error, "rsa key p= is not a valid public key");
  EXPECT_EQ(cached_key_count(), held);
}

}  // namespace
}  // namespace portcullis::filters::dkim
