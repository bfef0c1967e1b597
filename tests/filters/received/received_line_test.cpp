// One Received value at a time: the fields each format family yields (expected values
// checked against SpamAssassin 4.0.1 by hand), the lines SpamAssassin skips or cannot read,
// the IP clean-up, and hostile values (huge, malformed, pathological for backtracking).
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "filters/received/ip_text.hpp"
#include "filters/received/received_relays.hpp"

namespace portcullis::received {
namespace {

Relay must_parse(std::string_view value) {
  Relay r;
  EXPECT_EQ(parse_received_line(value, &r), LineOutcome::kRelay) << value;
  return r;
}

TEST(ReceivedLine, PostfixWithRdns) {
  const Relay r = must_parse(
      "from mail.example.org (mail.example.org [192.0.2.10])\n\tby mx.example.net (Postfix) "
      "with ESMTPS id 4Z6kQx3Lm2z9sT\n\tfor <bob@example.net>; Tue,  4 Mar 2025 10:15:44 +0000 "
      "(UTC)");
  EXPECT_EQ(r.ip, "192.0.2.10");
  EXPECT_EQ(r.rdns, "mail.example.org");
  EXPECT_EQ(r.helo, "mail.example.org");
  EXPECT_EQ(r.by, "mx.example.net");
  EXPECT_EQ(r.id, "4Z6kQx3Lm2z9sT");
  EXPECT_EQ(r.auth, "");
  EXPECT_FALSE(r.ip_private);
}

TEST(ReceivedLine, PostfixUnknownRdnsAndAuthenticatedSender) {
  const Relay r = must_parse(
      "from [10.1.2.3] (unknown [10.1.2.3]) (Authenticated sender: alice@example.org) by "
      "mail.example.org (Postfix) with ESMTPSA id 9B1C2D3E4F");
  EXPECT_EQ(r.ip, "10.1.2.3");
  EXPECT_EQ(r.rdns, "");
  EXPECT_EQ(r.helo, "!10.1.2.3!");  // brackets are flagged, as SpamAssassin does
  EXPECT_EQ(r.auth, "ESMTPSA");     // " with ESMTPSA" is checked before the Postfix note
  EXPECT_TRUE(r.ip_private);
}

TEST(ReceivedLine, PostfixAuthenticatedSenderWithOtherMailName) {
  const Relay r = must_parse(
      "from client.example.com (client.example.com [198.51.100.4]) (Authenticated sender: "
      "bob) by smtp.example.com (MyMTA) with ESMTP id ABCDEF");
  EXPECT_EQ(r.auth, "Postfix (MyMTA)");
}

TEST(ReceivedLine, EximHeloAndIdent) {
  Relay r = must_parse(
      "from host7.example.com ([198.51.100.7] helo=smtp.example.com) by mx.example.net with "
      "esmtps (TLS1.3) (Exim 4.96) (envelope-from <alice@example.com>) id 1tpQ2R-000AbC-1x");
  EXPECT_EQ(r.rdns, "host7.example.com");
  EXPECT_EQ(r.helo, "smtp.example.com");
  EXPECT_EQ(r.envfrom, "alice@example.com");
  EXPECT_EQ(r.id, "1tpQ2R-000AbC-1x");
  r = must_parse("from [203.0.113.99] (helo=bulk.example.com ident=mailer) by mx.example.net "
                 "with smtp (Exim 4.94.2) id 1tpQ3A-000111-Aa");
  EXPECT_EQ(r.rdns, "");
  EXPECT_EQ(r.helo, "bulk.example.com");
  EXPECT_EQ(r.ident, "mailer");
}

TEST(ReceivedLine, EximLocalSubmissionIsSkipped) {
  Relay r;
  EXPECT_EQ(parse_received_line("from alice by smtp.example.com with local (Exim 4.96) id "
                                "1tpQ2P-0009Zy-3c",
                                &r),
            LineOutcome::kSkipped);
}

TEST(ReceivedLine, SendmailIdentAndAuthenticated) {
  const Relay r = must_parse(
      "from laptop.example.org (IDENT:alice@laptop.example.org [10.9.8.7]) (authenticated "
      "bits=0) by mail.example.org (8.17.1/8.17.1) with ESMTP id 524AFg0x098765");
  EXPECT_EQ(r.ident, "alice");
  EXPECT_EQ(r.rdns, "laptop.example.org");
  EXPECT_EQ(r.auth, "Sendmail");
}

TEST(ReceivedLine, QmailHeloAndIdent) {
  Relay r = must_parse("from unknown (HELO mail.example.com) (198.51.100.20) by mx.example.net "
                       "with SMTP; 4 Mar 2025 10:15:44 -0000");
  EXPECT_EQ(r.rdns, "");
  EXPECT_EQ(r.helo, "mail.example.com");
  r = must_parse("from client.example.com (HELO workstation) (alice@192.0.2.61) by "
                 "mail.example.com with SMTP; 4 Mar 2025 10:15:42 -0000");
  EXPECT_EQ(r.rdns, "client.example.com");
  EXPECT_EQ(r.ident, "alice");
  Relay skipped;
  EXPECT_EQ(parse_received_line("(qmail 12345 invoked from network); 4 Mar 2025", &skipped),
            LineOutcome::kSkipped);
}

// Only the "with mapi id 15.20…" and "with Microsoft SMTP Server 15.…" spellings enter
// SpamAssassin's Exchange format (which drops the id); the usual "…Server (version=…) id
// 15.20…" is read by the generic formats and keeps it.
TEST(ReceivedLine, ExchangeAndOutlookCom) {
  Relay r = must_parse(
      "from AM0PR02MB5678.eurprd02.prod.outlook.com (2001:db8:208:56::78) by "
      "DB9PR02MB1111.eurprd02.prod.outlook.com (2001:db8:10a6:11::13) with Microsoft SMTP "
      "Server (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.20.8466.20");
  EXPECT_EQ(r.ip, "2001:db8:208:56::78");
  EXPECT_EQ(r.helo, "AM0PR02MB5678.eurprd02.prod.outlook.com");
  EXPECT_EQ(r.id, "15.20.8466.20");
  r = must_parse("from a.example.com ([fe80::1234:5678:9abc:def0]) by a.example.com "
                 "([fe80::1234:5678:9abc:def0%5]) with mapi id 15.20.8466.016");
  EXPECT_EQ(r.ip, "fe80::1234:5678:9abc:def0");
  EXPECT_EQ(r.id, "");
  EXPECT_TRUE(r.ip_private);
}

TEST(ReceivedLine, MicrosoftSmtpsvc) {
  const Relay r = must_parse("from workstation ([192.168.0.12] RDNS failed) by exch.example.com "
                             "with Microsoft SMTPSVC(10.0.17763.1697)");
  EXPECT_EQ(r.helo, "workstation");
  EXPECT_EQ(r.ip, "192.168.0.12");
  Relay skipped;
  EXPECT_EQ(parse_received_line(
                "from mail pickup service by exch.example.com with Microsoft SMTPSVC", &skipped),
            LineOutcome::kSkipped);
}

TEST(ReceivedLine, GmailSubmissionAndInternalBy) {
  const Relay r = must_parse(
      "from [192.168.1.10] ([203.0.113.50]) by smtp.gmail.com with ESMTPSA id "
      "5b1f17b1804b1-43bd4291f7esm1234567f9a.12.2025.03.04.02.15.43 for <bob@example.net> "
      "(version=TLS1_3 cipher=TLS_AES_256_GCM_SHA384 bits=256/256)");
  EXPECT_EQ(r.ip, "203.0.113.50");
  EXPECT_EQ(r.auth, "ESMTPSA");
  Relay skipped;
  EXPECT_EQ(parse_received_line("by 2002:a05:6000:1a8e:b0:38f:2a3b:1234 with SMTP id abc", &skipped),
            LineOutcome::kSkipped);
}

TEST(ReceivedLine, WebmailAndYahoo) {
  Relay r = must_parse("from 203.0.113.77 (SquirrelMail authenticated user alice) by "
                       "webmail.example.com with HTTP; Tue, 4 Mar 2025 10:15:44 -0000");
  EXPECT_EQ(r.ip, "203.0.113.77");
  EXPECT_EQ(r.auth, "HTTP");
  r = must_parse("from [198.51.100.134] by web40310.mail.example.com via HTTP; Wed, 12 Feb "
                 "2003 14:22:21 PST");
  EXPECT_EQ(r.ip, "198.51.100.134");
  EXPECT_EQ(r.by, "web40310.mail.example.com");
}

TEST(ReceivedLine, CourierAuth) {
  const Relay r = must_parse(
      "from laptop.example.org ([198.51.100.140]) (AUTH: LOGIN alice, TLS: TLSv1.3,256bits) by "
      "mail.example.org with ESMTPS; Tue, 04 Mar 2025 10:15:43 +0000");
  EXPECT_EQ(r.auth, "LOGIN");
}

TEST(ReceivedLine, UppercaseFromAndParenthesisedFrom) {
  Relay r = must_parse("FROM hackers.example.edu (smtp.example.edu [192.0.2.81]) BY "
                       "madman.example.edu ID 434B508E.174A6.13932 ; 11 Oct 2005 01:41:34 -0400");
  EXPECT_EQ(r.rdns, "smtp.example.edu");
  EXPECT_EQ(r.id, "434B508E.174A6.13932");
  Relay skipped;
  EXPECT_EQ(parse_received_line("(from alice@localhost) by laptop.example.org "
                                "(8.17.1/8.17.1/Submit) id 524AFfAb001122",
                                &skipped),
            LineOutcome::kSkipped);
}

TEST(ReceivedLine, WhatIsNotAHandover) {
  Relay r;
  EXPECT_EQ(parse_received_line("by list.example.org (Postfix, from userid 1001) id 6A7B8C", &r),
            LineOutcome::kSkipped);
  EXPECT_EQ(parse_received_line("from relay.example.com by relay.example.com ; Tue, 04 Mar 2025",
                                &r),
            LineOutcome::kSkipped);
  EXPECT_EQ(parse_received_line("from weird.example.com with something odd", &r),
            LineOutcome::kUnparseable);
  EXPECT_EQ(parse_received_line("from pop.example.net [192.0.2.110] by localhost with POP3 "
                                "(fetchmail-6.4.37) for <bob@localhost>",
                                &r),
            LineOutcome::kMailFetch);
  EXPECT_EQ(parse_received_line("", &r), LineOutcome::kSkipped);
}

TEST(ReceivedLine, DateWithCommentStaysAndByTypoIsFixed) {
  const Relay r = must_parse("from av.example.com (localhost [127.0.0.1])by mail.example.com "
                             "(Postfix) with ESMTP id 846CF2117for <bob@example.net>; Tue,  4 "
                             "Mar 2025 10:15:45 +0100 (CET)");
  EXPECT_EQ(r.by, "mail.example.com");
  EXPECT_EQ(r.id, "846CF2117for");  // SpamAssassin's id stops at a space, not at "for"
}

TEST(ReceivedLine, FallBackToBracketedIpAndFirstWordAsHelo) {
  const Relay r = must_parse("from odd.example.com stuff [192.0.2.99] by mx.example.net x");
  EXPECT_EQ(r.ip, "192.0.2.99");
  EXPECT_EQ(r.helo, "odd.example.com");
  EXPECT_EQ(r.by, "mx.example.net");
}

TEST(RelayString, Format) {
  Relay r;
  r.ip = "192.0.2.1";
  r.rdns = "a.example";
  r.helo = "b.example";
  r.by = "c.example";
  r.id = "ID1";
  r.internal = true;
  EXPECT_EQ(relay_string(r),
            "[ ip=192.0.2.1 rdns=a.example helo=b.example by=c.example ident= envfrom= intl=1 "
            "id=ID1 auth= msa=0 ]");
  r.envfrom = "0";  // Perl's false string renders empty
  r.auth = "Postfix (x msa=5 y)";
  EXPECT_EQ(relay_string(r),
            "[ ip=192.0.2.1 rdns=a.example helo=b.example by=c.example ident= envfrom= intl=1 "
            "id=ID1 auth=Postfix (x msa=0 y) msa=0 ]");
}

TEST(IpText, Grammar) {
  EXPECT_EQ(find_ip_address("x [192.0.2.1] y"), "192.0.2.1");
  EXPECT_EQ(find_ip_address("256.1.1.1 10.0.0.01 1.2.3.4"), "1.2.3.4");
  EXPECT_EQ(find_ip_address("Ip=[2001:db8::25];"), "2001:db8::25");
  EXPECT_EQ(find_ip_address("[IPv6:2001:db8::1]"), "IPv6:2001:db8::1");
  EXPECT_EQ(find_ip_address("::ffff:192.0.2.7"), "::ffff:192.0.2.7");
  EXPECT_EQ(find_ip_address("a1.2.3.4 :1.2.3.4"), "");
  EXPECT_EQ(find_ip_address("1:2:3:4:5:6:7:8:9"), "");
  EXPECT_EQ(clean_ip("IPv6:::ffff:10.1.2.3"), "10.1.2.3");
  EXPECT_EQ(clean_ip("[IPv6:::ffff:10.1.2.3]"), "IPv6:::ffff:10.1.2.3");  // "IPv6:" only in front
  EXPECT_EQ(clean_ip("fe80::1%eth0"), "fe80::1");
  EXPECT_TRUE(ip_is_private("10.0.0.1"));
  EXPECT_TRUE(ip_is_private("172.31.0.1"));
  EXPECT_FALSE(ip_is_private("172.32.0.1"));
  EXPECT_TRUE(ip_is_private("100.127.0.1"));
  EXPECT_FALSE(ip_is_private("100.128.0.1"));
  EXPECT_TRUE(ip_is_private("::1"));
  EXPECT_TRUE(ip_is_private("FE80::1"));
  EXPECT_FALSE(ip_is_private("fc00::1"));  // not in SpamAssassin 4.0.1's list
  EXPECT_FALSE(ip_is_private("192.0.2.1"));
}

// ---- hostile values ---------------------------------------------------------------------

TEST(ReceivedLineHostile, OverlongValueIsUnparseable) {
  std::string v = "from a.example (a.example [192.0.2.1]) by b.example (Postfix) with ESMTP ";
  v += std::string(kMaxFieldBytes, 'x');
  Relay r;
  EXPECT_EQ(parse_received_line(v, &r), LineOutcome::kUnparseable);
}

TEST(ReceivedLineHostile, BacktrackingBombsStayCheap) {
  // Shapes that make the greedy/lazy formats try many splits: long runs of " (a)", "])",
  // "authenticated", "[1.1.1.1" without closing brackets, qmail comments, just under the
  // size limit.
  const std::string pieces[] = {" (a)", "]) (", "(authenticated ", " [1.1.1.1", " by x (",
                                " (HELO x) (1.2.3.4)", " with ", "@[10.0.0.1", ") by "};
  for (const std::string& piece : pieces) {
    std::string v = "from x (HELO y) (z@192.0.2.1) by h";
    while (v.size() + piece.size() < kMaxFieldBytes) v += piece;
    const auto start = std::chrono::steady_clock::now();
    Relay r;
    (void)parse_received_line(v, &r);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - start)
                        .count();
    EXPECT_LT(ms, 2000) << piece;
  }
}

TEST(ReceivedLineHostile, BinaryAndControlBytes) {
  std::string v = "from a";
  v += '\0';
  v += "b ([192.0.2.1]) by c\x01\xff (d) with SMTP";
  Relay r;
  ASSERT_EQ(parse_received_line(v, &r), LineOutcome::kRelay);
  EXPECT_EQ(r.helo.find('\0'), std::string::npos);  // NUL is flagged as '!'
  for (std::string_view junk : {"from", "from ", "from [", "from ([", "(from ", "FROM  ;;;",
                                "from [::]", "from [IPv6:] by x", "from x by ;"}) {
    (void)parse_received_line(junk, &r);
  }
}

}  // namespace
}  // namespace portcullis::received
