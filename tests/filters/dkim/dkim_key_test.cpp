#include "filters/dkim/dkim_key.hpp"

#include <gtest/gtest.h>

#include <string>

namespace portcullis::filters::dkim {
namespace {

const std::string kEdP = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";

TEST(DkimKey, Ed25519) {
  const ParsedKey k = parse_key("v=DKIM1; k=ed25519; p=" + kEdP);
  ASSERT_TRUE(k.ok()) << k.error;
  EXPECT_EQ(k.key.type, KeyType::kEd25519);
  EXPECT_EQ(k.key.public_key.size(), 32u);
  EXPECT_FALSE(k.key.revoked);
  EXPECT_TRUE(k.key.allows(HashAlgorithm::kSha256));
}

TEST(DkimKey, DefaultsToRsaWithoutVersion) {
  const ParsedKey k = parse_key("p=" + kEdP);
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(k.key.type, KeyType::kRsa);
}

TEST(DkimKey, Revoked) {
  const ParsedKey k = parse_key("v=DKIM1; k=rsa; p=");
  ASSERT_TRUE(k.ok());
  EXPECT_TRUE(k.key.revoked);
}

TEST(DkimKey, VersionMustBeFirstAndExact) {
  EXPECT_EQ(parse_key("k=rsa; v=DKIM1; p=" + kEdP).error, "key record v= is not DKIM1 (first)");
  EXPECT_FALSE(parse_key("v=DKIM2; p=" + kEdP).ok());
  EXPECT_FALSE(parse_key("v=DKIM1: g=*; k=rsa; p=" + kEdP).ok());
}

TEST(DkimKey, KeyType) {
  EXPECT_EQ(parse_key("k=ed25519-sha256; p=" + kEdP).error, "unknown key type k=ed25519-sha256");
  EXPECT_EQ(parse_key("k=RSA; p=" + kEdP).key.type, KeyType::kRsa);
}

TEST(DkimKey, HashList) {
  const ParsedKey k = parse_key("h=sha1; p=" + kEdP);
  ASSERT_TRUE(k.ok());
  EXPECT_TRUE(k.key.allows(HashAlgorithm::kSha1));
  EXPECT_FALSE(k.key.allows(HashAlgorithm::kSha256));
  const ParsedKey both = parse_key("h=sha1 : sha256 : future; p=" + kEdP);
  EXPECT_TRUE(both.key.allows(HashAlgorithm::kSha256));
}

TEST(DkimKey, ServiceType) {
  EXPECT_EQ(parse_key("s=tlsrpt; p=" + kEdP).error, "key not for email (s=)");
  EXPECT_TRUE(parse_key("s=*; p=" + kEdP).ok());
  EXPECT_TRUE(parse_key("s=tlsrpt:email; p=" + kEdP).ok());
}

TEST(DkimKey, Flags) {
  const ParsedKey k = parse_key("t=y:s:z; p=" + kEdP);
  ASSERT_TRUE(k.ok());
  EXPECT_TRUE(k.key.testing);
  EXPECT_TRUE(k.key.strict);
  EXPECT_FALSE(parse_key("p=" + kEdP).key.testing);
}

TEST(DkimKey, Errors) {
  EXPECT_EQ(parse_key("v=DKIM1; k=rsa").error, "key record without p=");
  EXPECT_EQ(parse_key("p=!!!!").error, "key p= is not valid base64");
  EXPECT_EQ(parse_key("p=a; p=b").error, "malformed key record: duplicate tag p=");
  EXPECT_EQ(parse_key("v=spf1 -all").error, "key record v= is not DKIM1 (first)");
  EXPECT_EQ(parse_key("hello").error, "malformed key record: tag without '='");
  EXPECT_EQ(parse_key(std::string(kMaxKeyRecord + 1, 'a')).error, "key record too long");
}

TEST(DkimKey, FoldedP) {
  const ParsedKey k = parse_key("p=11qYAYKxCrfVS/7TyWQH Og7hcvPapiMlrwIaaPcHURo=");
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(k.key.public_key.size(), 32u);
}

}  // namespace
}  // namespace portcullis::filters::dkim
