#include "filters/dmarc/from_domain.hpp"

#include <gtest/gtest.h>

#include <string>

namespace portcullis::filters::dmarc {
namespace {

using Status = FromDomain::Status;

FromDomain from_value(std::string_view value) {
  std::string msg = "Subject: x\r\nFrom:";
  msg.append(value).append("\r\nTo: y@example.net\r\n\r\nbody\r\n");
  return extract_from_domain(msg);
}

std::string domain_of(std::string_view value) {
  const FromDomain f = from_value(value);
  EXPECT_TRUE(f.ok()) << value << ": " << f.reason;
  return f.domain;
}

Status status_of(std::string_view value) {
  const FromDomain f = from_value(value);
  EXPECT_FALSE(f.ok()) << value;
  EXPECT_FALSE(f.reason.empty()) << value;
  return f.status;
}

TEST(FromDomain, PlainAndAngleAddresses) {
  EXPECT_EQ(domain_of(" alice@example.com"), "example.com");
  EXPECT_EQ(domain_of(" <alice@example.com>"), "example.com");
  EXPECT_EQ(domain_of(" Alice <alice@example.com>"), "example.com");
  EXPECT_EQ(domain_of("Alice Q. Smith <alice@example.com>"), "example.com");
  EXPECT_EQ(domain_of(" =?utf-8?q?J=C3=BCrgen?= <j@example.com>"), "example.com");
  const FromDomain f = from_value(" Alice <alice@Mail.Example.COM.>");
  EXPECT_EQ(f.domain, "mail.example.com");
  EXPECT_EQ(f.address, "alice@Mail.Example.COM.");
}

TEST(FromDomain, QuotedStringsHideSpecials) {
  EXPECT_EQ(domain_of(" \"ceo@bank.example, Inc.\" <x@evil.example>"), "evil.example");
  EXPECT_EQ(domain_of(" \"a\\\"b <c@d.example>\" <x@evil.example>"), "evil.example");
  EXPECT_EQ(domain_of(" \"odd local\"@example.org"), "example.org");
  EXPECT_EQ(domain_of(" \"a@b\"@example.org"), "example.org");
}

TEST(FromDomain, CommentsAreIgnored) {
  EXPECT_EQ(domain_of(" alice@example.com (Alice (the (real) one))"), "example.com");
  EXPECT_EQ(domain_of(" (x@evil.example) alice@example.com"), "example.com");
  EXPECT_EQ(domain_of(" alice@(comment)example.com"), "example.com");
  EXPECT_EQ(domain_of(" Alice <alice@example (c) . com>"), "example.com");
  EXPECT_EQ(domain_of(" alice(\\)@x.example)@example.com"), "example.com");
}

TEST(FromDomain, FoldingAndHeaderNameForms) {
  EXPECT_EQ(extract_from_domain("FROM: Alice\r\n <alice@example.com>\r\n\r\n").domain, "example.com");
  EXPECT_EQ(extract_from_domain("from :\r\n\talice@example.com\r\n\r\n").domain, "example.com");
  EXPECT_EQ(extract_from_domain("From: alice@example.com").domain, "example.com");  // no CRLF
  EXPECT_EQ(extract_from_domain("To: x@y.example\nFrom: a@lf.example\n\nbody").domain, "lf.example");
}

TEST(FromDomain, ObsoleteRoute) {
  EXPECT_EQ(domain_of(" <@relay.example,@r2.example:alice@example.com>"), "example.com");
}

TEST(FromDomain, OnlyTheHeaderBlockCounts) {
  EXPECT_EQ(extract_from_domain("From: a@one.example\r\n\r\nFrom: b@two.example\r\n").domain,
            "one.example");
  EXPECT_EQ(extract_from_domain("\r\nFrom: a@one.example\r\n").status, Status::kNoFrom);
  EXPECT_EQ(extract_from_domain("Resent-From: a@one.example\r\nX-From: b@x.example\r\n\r\n").status,
            Status::kNoFrom);
  EXPECT_EQ(extract_from_domain("").status, Status::kNoFrom);
  // An mbox separator line is not a From field.
  EXPECT_EQ(extract_from_domain("From alice@x.example Thu Nov 14 22:13:20 2023\r\nFrom: a@b.example\r\n\r\n").domain,
            "b.example");
}

TEST(FromDomain, ExactlyOneFromField) {
  const FromDomain f = extract_from_domain("From: a@one.example\r\nFrom: b@two.example\r\n\r\n");
  EXPECT_EQ(f.status, Status::kMultipleFrom);
  EXPECT_EQ(f.reason, "2 From headers (exactly one required)");
  EXPECT_EQ(extract_from_domain("From: a@one.example\r\nfrom : a@one.example\r\n\r\n").status,
            Status::kMultipleFrom);
}

TEST(FromDomain, ExactlyOneMailbox) {
  EXPECT_EQ(status_of(" a@one.example, b@two.example"), Status::kMultipleMailboxes);
  EXPECT_EQ(status_of(" a@one.example, a@one.example"), Status::kMultipleMailboxes);
  EXPECT_EQ(status_of(" "), Status::kNoMailbox);
  EXPECT_EQ(status_of(" (just a comment)"), Status::kNoMailbox);
  EXPECT_EQ(status_of(" ,,"), Status::kNoMailbox);
  EXPECT_EQ(domain_of(" , a@one.example ,"), "one.example");  // obs-mbox-list empty elements
}

TEST(FromDomain, Groups) {
  EXPECT_EQ(status_of(" undisclosed-recipients:;"), Status::kGroup);
  EXPECT_EQ(status_of(" Team: a@one.example;"), Status::kGroup);
}

TEST(FromDomain, NoDomain) {
  EXPECT_EQ(status_of(" alice"), Status::kNoDomain);
  EXPECT_EQ(status_of(" <>"), Status::kNoDomain);
  EXPECT_EQ(status_of(" Alice <alice>"), Status::kNoDomain);
  EXPECT_EQ(status_of(" alice@"), Status::kNoDomain);
}

TEST(FromDomain, BadDomains) {
  EXPECT_EQ(status_of(" alice@[192.0.2.1]"), Status::kBadDomain);
  EXPECT_EQ(status_of(" alice@192.0.2.1"), Status::kBadDomain);
  EXPECT_EQ(status_of(" alice@b\xc3\xbc" "cher.example"), Status::kBadDomain);
  EXPECT_EQ(status_of(" alice@a..example"), Status::kBadDomain);
  EXPECT_EQ(status_of(" alice@.example"), Status::kBadDomain);
  EXPECT_EQ(status_of(" alice@ex!ample.com"), Status::kBadDomain);
  EXPECT_EQ(status_of(" alice@" + std::string(64, 'a') + ".com"), Status::kBadDomain);
}

TEST(FromDomain, SyntaxErrors) {
  EXPECT_EQ(status_of(" Alice alice@example.com"), Status::kSyntax);  // name without <>
  EXPECT_EQ(status_of(" alice@evil.example bank.example"), Status::kSyntax);
  EXPECT_EQ(status_of(" alice@example.com@evil.example"), Status::kSyntax);
  EXPECT_EQ(status_of(" Alice <alice@example.com"), Status::kSyntax);
  EXPECT_EQ(status_of(" Alice alice@example.com>"), Status::kSyntax);
  EXPECT_EQ(status_of(" <<alice@example.com>>"), Status::kSyntax);
  EXPECT_EQ(status_of(" <alice@example.com> trailing"), Status::kSyntax);
  EXPECT_EQ(status_of(" \"unterminated <a@b.example>"), Status::kSyntax);
  EXPECT_EQ(status_of(" (unterminated a@b.example"), Status::kSyntax);
  EXPECT_EQ(status_of(" a@b.example)"), Status::kSyntax);
  EXPECT_EQ(status_of(" alice@b.example\\"), Status::kSyntax);
  EXPECT_EQ(status_of(" a@[1.2.3.4"), Status::kSyntax);
  EXPECT_EQ(status_of(" alice@@example.com"), Status::kSyntax);
  EXPECT_EQ(status_of(" @example.com"), Status::kSyntax);
  EXPECT_EQ(status_of(" alice@example.com\x01"), Status::kSyntax);
  EXPECT_EQ(status_of(std::string(" alice@exam\0ple.com", 19)), Status::kSyntax);
  EXPECT_EQ(status_of(" bank.example@ <x@evil.example>"), Status::kSyntax);
}

TEST(FromDomain, Limits) {
  FromLimits limits;
  limits.max_from_length = 64;
  std::string msg = "From: " + std::string(100, 'a') + "@example.com\r\n\r\n";
  EXPECT_EQ(extract_from_domain(msg, limits).status, Status::kTooLong);
  msg = "From: Alice\r\n" + std::string(" ") + std::string(70, 'b') + " <a@example.com>\r\n\r\n";
  EXPECT_EQ(extract_from_domain(msg, limits).status, Status::kTooLong);
  limits.max_header_block = 100;
  msg.clear();
  for (int i = 0; i < 20; ++i) msg.append("X-Filler: 0123456789\r\n");
  msg.append("From: a@example.com\r\n\r\n");
  EXPECT_EQ(extract_from_domain(msg, limits).status, Status::kTooLong);
}

TEST(FromDomain, SharedMessages) {
  const std::string msg =
      "DKIM-Signature: v=1; a=rsa-sha256; d=example.com;\r\n s=rsa1; h=from : to\r\n"
      "From: Alice <ALICE@EXAMPLE.COM>\r\nTo: Recipient <rcpt@receiver.example>\r\n\r\nbody\r\n";
  const FromDomain f = extract_from_domain(msg);
  ASSERT_TRUE(f.ok()) << f.reason;
  EXPECT_EQ(f.domain, "example.com");
}

}  // namespace
}  // namespace portcullis::filters::dmarc
