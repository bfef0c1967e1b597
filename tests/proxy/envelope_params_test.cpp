#include "proxy/envelope_params.hpp"

#include <gtest/gtest.h>

namespace portcullis::proxy {
namespace {

smtp::Command parse(const char* line) {
  auto p = smtp::parse_command(line);
  EXPECT_TRUE(p.ok) << line;
  return p.command;
}

BackendCaps full_caps() {
  BackendCaps c;
  c.reachable = c.eightbitmime = c.smtputf8 = c.dsn = true;
  c.size = 1000000;
  return c;
}

TEST(EnvelopeParams, PlainMailIsRelayedAsIs) {
  auto check = check_mail(parse("MAIL FROM:<a@example.com>"), BackendCaps{}, 1000);
  ASSERT_FALSE(check.error);
  EXPECT_EQ(check.backend_line, "MAIL FROM:<a@example.com>");
  auto null_sender = check_mail(parse("MAIL FROM:<>"), BackendCaps{}, 1000);
  EXPECT_EQ(null_sender.backend_line, "MAIL FROM:<>");
}

TEST(EnvelopeParams, SizeChecked) {
  auto over = check_mail(parse("MAIL FROM:<a@example.com> SIZE=1001"), full_caps(), 1000);
  ASSERT_TRUE(over.error);
  EXPECT_EQ(over.error->serialize(), "552 5.3.4 Message size exceeds fixed limit\r\n");
  auto ok = check_mail(parse("MAIL FROM:<a@example.com> SIZE=1000"), full_caps(), 1000);
  ASSERT_FALSE(ok.error);
  EXPECT_EQ(ok.backend_line, "MAIL FROM:<a@example.com> SIZE=1000");
  // A backend without SIZE does not get the parameter.
  auto dropped = check_mail(parse("MAIL FROM:<a@example.com> SIZE=10"), BackendCaps{}, 1000);
  EXPECT_EQ(dropped.backend_line, "MAIL FROM:<a@example.com>");
  auto bad = check_mail(parse("MAIL FROM:<a@example.com> SIZE=12x"), full_caps(), 1000);
  ASSERT_TRUE(bad.error);
  EXPECT_EQ(bad.error->code, 501);
}

TEST(EnvelopeParams, ExtensionsOnlyWhenTheBackendOffersThem) {
  auto body = check_mail(parse("MAIL FROM:<a@example.com> BODY=8BITMIME"), BackendCaps{}, 1000);
  ASSERT_TRUE(body.error);
  EXPECT_EQ(body.error->serialize(), "555 5.5.4 Unsupported option: BODY\r\n");
  auto ok = check_mail(parse("MAIL FROM:<a@example.com> BODY=8bitmime SMTPUTF8 RET=HDRS ENVID=x1"),
                       full_caps(), 1000);
  ASSERT_FALSE(ok.error);
  EXPECT_EQ(ok.backend_line, "MAIL FROM:<a@example.com> BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=x1");
  EXPECT_TRUE(ok.smtputf8);
  auto dsn = check_rcpt(parse("RCPT TO:<b@example.org> NOTIFY=NEVER"), BackendCaps{}, false);
  ASSERT_TRUE(dsn.error);
  EXPECT_EQ(dsn.error->code, 555);
  auto dsn_ok = check_rcpt(parse("RCPT TO:<b@example.org> NOTIFY=NEVER ORCPT=rfc822;b@example.org"),
                           full_caps(), false);
  ASSERT_FALSE(dsn_ok.error);
  EXPECT_EQ(dsn_ok.backend_line, "RCPT TO:<b@example.org> NOTIFY=NEVER ORCPT=rfc822;b@example.org");
}

TEST(EnvelopeParams, UnknownAndDuplicateParametersRefused) {
  auto unknown = check_mail(parse("MAIL FROM:<a@example.com> XFOO=1"), full_caps(), 1000);
  ASSERT_TRUE(unknown.error);
  EXPECT_EQ(unknown.error->code, 555);
  auto dup = check_mail(parse("MAIL FROM:<a@example.com> SIZE=1 SIZE=2"), full_caps(), 1000);
  ASSERT_TRUE(dup.error);
  EXPECT_EQ(dup.error->code, 501);
}

TEST(EnvelopeParams, NonAsciiAddressNeedsSmtputf8) {
  auto mail = check_mail(parse("MAIL FROM:<j\xc3\xb6rg@example.com>"), full_caps(), 1000);
  ASSERT_TRUE(mail.error);
  EXPECT_EQ(mail.error->serialize(), "553 5.6.7 Non-ASCII sender address needs SMTPUTF8\r\n");
  auto with = check_mail(parse("MAIL FROM:<j\xc3\xb6rg@example.com> SMTPUTF8"), full_caps(), 1000);
  EXPECT_FALSE(with.error);
  auto rcpt = check_rcpt(parse("RCPT TO:<\xc3\xa9@example.org>"), full_caps(), false);
  ASSERT_TRUE(rcpt.error);
  EXPECT_EQ(rcpt.error->code, 553);
  EXPECT_FALSE(check_rcpt(parse("RCPT TO:<\xc3\xa9@example.org>"), full_caps(), true).error);
}

}  // namespace
}  // namespace portcullis::proxy
