// The chain: trust and internal split inferred as SpamAssassin does without configuration,
// mail-fetch markers, the qmail-scanner envelope sender, originating-IP pseudo relays, and
// the caps (thousands of fields, huge values, many originating values).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "filters/received/received_relays.hpp"

namespace portcullis::received {
namespace {

std::string postfix(std::string_view rdns, std::string_view ip, std::string_view by,
                    std::string_view with = "ESMTP") {
  return "from " + std::string(rdns) + " (" + std::string(rdns) + " [" + std::string(ip) +
         "]) by " + std::string(by) + " (Postfix) with " + std::string(with) + " id ABC123";
}

TEST(RelayHeaders, PrivateRelaysStayTrustedUntilTheFirstPublicOne) {
  const std::string a = postfix("gate.example.net", "10.0.0.2", "mx.example.net");
  const std::string b = postfix("out.example.com", "198.51.100.9", "gate.example.net");
  const std::string c = postfix("desk.example.com", "192.168.1.5", "out.example.com");
  const RelayHeaders r = relay_headers({a, b, c});
  ASSERT_EQ(r.relays.size(), 3u);
  EXPECT_TRUE(r.relays[0].trusted && r.relays[0].internal);
  EXPECT_FALSE(r.relays[1].trusted || r.relays[1].internal);
  EXPECT_FALSE(r.relays[2].trusted);  // private again, but trust never comes back
  EXPECT_EQ(r.trusted, relay_string(r.relays[0]));
  EXPECT_EQ(r.internal, r.trusted);
  EXPECT_EQ(r.untrusted, relay_string(r.relays[1]) + " " + relay_string(r.relays[2]));
  EXPECT_EQ(r.external, r.untrusted);
  EXPECT_NE(r.trusted.find(" intl=1 "), std::string::npos);
  EXPECT_NE(r.untrusted.find(" intl=0 "), std::string::npos);
}

TEST(RelayHeaders, AuthenticationExtendsTrustToAPublicAddress) {
  const std::string a = postfix("laptop.example.org", "203.0.113.8", "mail.example.org", "ESMTPSA");
  const std::string b = postfix("x.example.com", "198.51.100.1", "laptop.example.org");
  const RelayHeaders r = relay_headers({a, b});
  ASSERT_EQ(r.relays.size(), 2u);
  EXPECT_TRUE(r.relays[0].trusted);
  EXPECT_EQ(r.relays[0].auth, "ESMTPSA");
  EXPECT_FALSE(r.relays[1].trusted);
}

TEST(RelayHeaders, SkippedAndUnparseableLinesDoNotBreakTheChain) {
  const RelayHeaders r = relay_headers(
      {postfix("a.example", "10.0.0.1", "b.example"), "by b.example (Postfix, from userid 0) id X",
       "from nowhere with nothing", postfix("c.example", "10.0.0.3", "a.example")});
  EXPECT_EQ(r.relays.size(), 2u);
  EXPECT_EQ(r.unparseable, 1u);
  EXPECT_TRUE(r.relays[1].trusted);
  EXPECT_TRUE(r.untrusted.empty());
}

TEST(RelayHeaders, FetchMarkerInTheTrustedPartForgetsTheRelaysAbove) {
  const RelayHeaders r = relay_headers(
      {postfix("localhost", "127.0.0.1", "desk.example.net"),
       "from pop.example.net [192.0.2.110] by localhost with POP3 (fetchmail-6.4.37)",
       postfix("mail.example.org", "198.51.100.44", "mx.example.net")});
  ASSERT_EQ(r.relays.size(), 1u);
  EXPECT_EQ(r.relays[0].ip, "198.51.100.44");
  EXPECT_TRUE(r.trusted.empty());
}

TEST(RelayHeaders, FetchMarkerBelowAnUntrustedRelayIsIgnored) {
  const RelayHeaders r = relay_headers(
      {postfix("mail.example.org", "198.51.100.44", "mx.example.net"),
       "from pop.example.net [192.0.2.110] by localhost with IMAP (fetchmail-6.4.37)",
       postfix("b.example.org", "198.51.100.45", "mail.example.org")});
  EXPECT_EQ(r.relays.size(), 2u);
}

TEST(RelayHeaders, QmailScannerHandsItsEnvelopeSenderToTheNextRelay) {
  const RelayHeaders r = relay_headers(
      {"from 192.0.2.61 by mail.example.com (envelope-from <alice@example.com>, uid 89) with "
       "qmail-scanner-2.11 (clamdscan: 1.0.0/26000. Clear:RC:0(192.0.2.61):. Processed in 0.4 "
       "secs); 04 Mar 2025 10:15:43 -0000",
       "from client.example.com (HELO workstation) (alice@192.0.2.61) by mail.example.com with "
       "SMTP; 4 Mar 2025 10:15:42 -0000"});
  ASSERT_EQ(r.relays.size(), 1u);
  EXPECT_EQ(r.relays[0].envfrom, "alice@example.com");
}

TEST(RelayHeaders, OriginatingIpBecomesTheLastRelay) {
  const RelayHeaders r = relay_headers({postfix("web.example.com", "192.0.2.80", "mx.example.net")},
                                       {" [203.0.113.77]", "no address here", " 198.51.100.5"});
  ASSERT_EQ(r.relays.size(), 3u);
  EXPECT_EQ(relay_string(r.relays[1]),
            "[ ip=203.0.113.77 rdns= helo= by= ident= envfrom= intl=0 id= auth= msa=0 ]");
  EXPECT_EQ(r.relays[2].ip, "198.51.100.5");
}

TEST(RelayHeaders, EmptyInput) {
  const RelayHeaders r = relay_headers({});
  EXPECT_TRUE(r.relays.empty());
  EXPECT_TRUE(r.trusted.empty() && r.untrusted.empty() && r.internal.empty() &&
              r.external.empty());
}

// ---- hostile input ----------------------------------------------------------------------

TEST(RelayHeadersHostile, ThousandsOfReceivedFieldsAreCapped) {
  std::vector<std::string> storage;
  for (int i = 0; i < 5000; ++i) storage.push_back(postfix("h.example", "10.0.0.1", "i.example"));
  const std::vector<std::string_view> values(storage.begin(), storage.end());
  const RelayHeaders r = relay_headers(values);
  EXPECT_EQ(r.relays.size(), kMaxReceivedFields);
  EXPECT_EQ(r.ignored_fields, 5000 - kMaxReceivedFields);
}

TEST(RelayHeadersHostile, HugeAndMalformedValues) {
  const std::string huge(1 << 20, '[');
  const std::string near_limit = "from a ([192.0.2.1" + std::string(kMaxFieldBytes - 40, ' ') + "]) by b";
  const RelayHeaders r =
      relay_headers({huge, near_limit, std::string(kMaxFieldBytes, '\n'), "from", ""},
                    {huge, std::string(kMaxOriginatingBytes + 10, '1') + " 192.0.2.3"});
  EXPECT_GE(r.unparseable, 1u);
  for (const Relay& relay : r.relays) EXPECT_LE(relay_string(relay).size(), kMaxFieldBytes + 200);
  // the originating value is read only up to kMaxOriginatingBytes: its IP is past that
  for (const Relay& relay : r.relays) EXPECT_NE(relay.ip, "192.0.2.3");
}

TEST(RelayHeadersHostile, TooManyOriginatingValuesAreCapped) {
  std::vector<std::string_view> originating(1000, "192.0.2.1");
  const RelayHeaders r = relay_headers({}, originating);
  EXPECT_EQ(r.relays.size(), kOriginatingIpHeaders.size());
}

}  // namespace
}  // namespace portcullis::received
