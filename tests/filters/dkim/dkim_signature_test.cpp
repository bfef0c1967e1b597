#include "filters/dkim/dkim_signature.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace portcullis::filters::dkim {
namespace {

const std::string kGood =
    " v=1; a=rsa-sha256; c=relaxed/simple; d=Example.COM;\r\n"
    " i=joe@mail.example.com; q=dns/txt; s=Sel1; t=1700000000; x=1700086400; l=42;\r\n"
    " h=From : To: subject; bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
    " b=AAAA\r\n BBBB";

// A minimal valid signature with one tag replaced (or added), or removed (value nullptr).
std::string build(std::string_view tag, const char* value) {
  std::vector<std::pair<std::string, std::string>> tags = {
      {"v", "1"}, {"a", "rsa-sha256"}, {"d", "example.com"}, {"s", "s1"},
      {"h", "from"}, {"bh", "AAAA"}, {"b", "AAAA"}};
  bool found = false;
  for (auto& [k, v] : tags) {
    if (k == tag && value != nullptr) v = value;
    found = found || k == tag;
  }
  if (!found && value != nullptr) tags.emplace_back(std::string(tag), value);
  std::string out;
  for (const auto& [k, v] : tags) {
    if (k == tag && value == nullptr) continue;
    if (!out.empty()) out.append("; ");
    out.append(k).append("=").append(v);
  }
  return out;
}

std::string with_tag(std::string_view tag, const std::string& value) {
  return build(tag, value.c_str());
}

std::string error_of(const std::string& value) { return parse_signature(value).error; }

TEST(DkimSignature, ParsesAllTags) {
  const ParsedSignature p = parse_signature(kGood);
  ASSERT_TRUE(p.ok()) << p.error;
  const DkimSignature& s = p.signature;
  EXPECT_EQ(s.algorithm, SignatureAlgorithm::kRsaSha256);
  EXPECT_EQ(s.header_canon, Canonicalization::kRelaxed);
  EXPECT_EQ(s.body_canon, Canonicalization::kSimple);
  EXPECT_EQ(s.domain, "example.com");
  EXPECT_EQ(s.selector, "sel1");
  EXPECT_EQ(s.identity, "joe@mail.example.com");
  EXPECT_EQ(s.headers, (std::vector<std::string>{"from", "to", "subject"}));
  EXPECT_TRUE(s.from_signed);
  EXPECT_EQ(s.body_length, 42u);
  EXPECT_EQ(s.timestamp, 1700000000);
  EXPECT_EQ(s.expiration, 1700086400);
  EXPECT_EQ(s.body_hash.size(), 32u);
  EXPECT_EQ(s.signature.size(), 6u);
  EXPECT_EQ(p.b, "AAAABBBB");
  EXPECT_EQ(kGood.substr(s.b_value_begin, s.b_value_end - s.b_value_begin), "AAAA\r\n BBBB");
  EXPECT_EQ(s.key_name(), "sel1._domainkey.example.com");
}

TEST(DkimSignature, Defaults) {
  const ParsedSignature p = parse_signature(with_tag("a", "ed25519-sha256"));
  ASSERT_TRUE(p.ok()) << p.error;
  EXPECT_EQ(p.signature.header_canon, Canonicalization::kSimple);
  EXPECT_EQ(p.signature.body_canon, Canonicalization::kSimple);
  EXPECT_EQ(p.signature.identity, "@example.com");
  EXPECT_EQ(p.signature.algorithm, SignatureAlgorithm::kEd25519Sha256);
  EXPECT_FALSE(p.signature.body_length);
  EXPECT_EQ(parse_signature(with_tag("c", "relaxed")).signature.body_canon,
            Canonicalization::kSimple);
  EXPECT_EQ(parse_signature(with_tag("c", "relaxed")).signature.header_canon,
            Canonicalization::kRelaxed);
}

TEST(DkimSignature, RequiredTags) {
  for (const char* tag : {"v", "a", "b", "bh", "d", "h", "s"}) {
    EXPECT_EQ(error_of(build(tag, nullptr)), std::string("missing ") + tag + "= tag") << tag;
  }
}

TEST(DkimSignature, Errors) {
  EXPECT_EQ(error_of(with_tag("v", "2")), "unsupported version v=2");
  EXPECT_EQ(error_of(with_tag("a", "rsa-md5")), "unsupported algorithm a=rsa-md5");
  EXPECT_EQ(error_of(with_tag("c", "relaxed/fancy")), "unsupported canonicalization c=relaxed/fancy");
  EXPECT_EQ(error_of(with_tag("q", "http/well-known")), "unsupported query method q=");
  EXPECT_TRUE(parse_signature(with_tag("q", "dns/txt")).ok());
  EXPECT_EQ(error_of(with_tag("d", "exa mple.com")), "invalid d= domain");
  EXPECT_EQ(error_of(with_tag("d", "-example.com")), "invalid d= domain");
  EXPECT_EQ(error_of(with_tag("d", "example..com")), "invalid d= domain");
  EXPECT_EQ(error_of(with_tag("s", "")), "invalid s= selector");
  EXPECT_EQ(error_of(with_tag("i", "joe@example.org")), "i= domain is not d= or a subdomain of it");
  EXPECT_EQ(error_of(with_tag("i", "joe@badexample.com")), "i= domain is not d= or a subdomain of it");
  EXPECT_EQ(error_of(with_tag("i", "joe.example.com")), "i= is not an identity (no '@')");
  EXPECT_TRUE(parse_signature(with_tag("i", "@EXAMPLE.com")).ok());
  EXPECT_TRUE(parse_signature(with_tag("i", "a@b.example.com")).ok());
  EXPECT_EQ(error_of(with_tag("l", "-1")), "invalid l= body length");
  EXPECT_EQ(error_of(with_tag("t", "12a")), "invalid t= timestamp");
  EXPECT_EQ(error_of(with_tag("x", "")), "invalid x= expiration");
  EXPECT_EQ(error_of(with_tag("t", "200") + "; x=100"), "x= expiration before t= timestamp");
  EXPECT_TRUE(parse_signature(with_tag("t", "100") + "; x=100").ok());
  EXPECT_EQ(error_of(with_tag("bh", "A")), "invalid bh= base64");
  EXPECT_EQ(error_of(with_tag("b", "")), "invalid b= base64");
  EXPECT_EQ(error_of(with_tag("h", "from::to")), "invalid header name in h=");
  EXPECT_EQ(error_of("v=1; v=1"), "malformed tag list: duplicate tag v=");
}

TEST(DkimSignature, FromNotSignedIsParsedNotJudged) {
  const ParsedSignature p = parse_signature(with_tag("h", "to:subject"));
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(p.signature.from_signed);
  EXPECT_TRUE(parse_signature(with_tag("h", "To:FROM")).signature.from_signed);
}

TEST(DkimSignature, RsaSha1IsParsed) {
  const ParsedSignature p = parse_signature(with_tag("a", "rsa-sha1"));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p.signature.algorithm, SignatureAlgorithm::kRsaSha1);
  EXPECT_EQ(hash_of(p.signature.algorithm), HashAlgorithm::kSha1);
}

TEST(DkimSignature, HugeLengthSaturates) {
  const ParsedSignature p = parse_signature(with_tag("l", std::string(70, '9')));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p.signature.body_length, ~std::uint64_t{0});
  EXPECT_FALSE(parse_signature(with_tag("l", std::string(77, '9'))).ok());
}

TEST(DkimSignature, Limits) {
  std::string h = "from";
  for (std::size_t i = 0; i < kMaxSignedHeaders; ++i) h.append(":x");
  EXPECT_EQ(error_of(with_tag("h", h)), "too many h= entries");
  EXPECT_EQ(error_of(with_tag("b", std::string(kMaxSignatureValue, 'A'))),
            "signature header too long");
  EXPECT_EQ(error_of(with_tag("s", std::string(64, 'a'))), "invalid s= selector");
}

TEST(DkimSignature, ReportingFieldsOnError) {
  const ParsedSignature p = parse_signature("v=1; a=RSA-SHA256; d=Example.com; s=x; b=AB CD");
  EXPECT_FALSE(p.ok());
  EXPECT_EQ(p.domain, "example.com");
  EXPECT_EQ(p.selector, "x");
  EXPECT_EQ(p.algorithm, "rsa-sha256");
  EXPECT_EQ(p.b, "ABCD");
}

TEST(DkimSignature, DomainSyntax) {
  EXPECT_TRUE(is_dkim_domain("example.com"));
  EXPECT_TRUE(is_dkim_domain("_x.example.com"));
  EXPECT_TRUE(is_dkim_domain("20120113"));
  EXPECT_FALSE(is_dkim_domain(""));
  EXPECT_FALSE(is_dkim_domain("a."));
  EXPECT_FALSE(is_dkim_domain("a\xc3\xa9.com"));
  EXPECT_FALSE(is_dkim_domain(std::string(64, 'a') + ".com"));
}

}  // namespace
}  // namespace portcullis::filters::dkim

namespace portcullis::filters::dkim {
namespace {

TEST(SignatureKeyName, ReadsOnlyDAndS) {
  EXPECT_EQ(signature_key_name(" v=1; a=rsa-sha256; d=Example.COM;\r\n s=Sel1; b=garbage"),
            std::optional<std::string>("sel1._domainkey.example.com"));
  // Nothing else is judged: an invalid b= or a missing h= still names the key.
  EXPECT_EQ(signature_key_name("d=example.com; s=s1"),
            std::optional<std::string>("s1._domainkey.example.com"));
  EXPECT_EQ(signature_key_name("d=example.com"), std::nullopt);
  EXPECT_EQ(signature_key_name("d=exa mple.com; s=s1"), std::nullopt);
  EXPECT_EQ(signature_key_name("d=example.com; s=s1; s=s2"), std::nullopt);  // duplicate tag
}

}  // namespace
}  // namespace portcullis::filters::dkim
