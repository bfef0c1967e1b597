#include "filters/helo/helo_name.hpp"

#include <gtest/gtest.h>

#include <string>

namespace portcullis::filters::helo {
namespace {

using namespace std::string_view_literals;

HeloKind kind(std::string_view helo) { return classify_helo(helo).kind; }

TEST(HeloName, Empty) { EXPECT_EQ(kind(""), HeloKind::kEmpty); }

TEST(HeloName, Domains) {
  for (std::string_view ok :
       {"mx.example.org", "MX.Example.ORG", "a", "localhost", "a-b.c", "1a.b", "x.y.z.example",
        "123.example", "mx.example.org.", "xn--bcher-kva.de", "a.b1", "9.example.c0m"}) {
    EXPECT_EQ(kind(ok), HeloKind::kDomain) << ok;
  }
  const HeloName n = classify_helo("MX.Example.ORG.");
  EXPECT_EQ(n.domain, "mx.example.org");
  EXPECT_TRUE(n.fqdn());
  EXPECT_FALSE(classify_helo("mypc").fqdn());
  EXPECT_FALSE(classify_helo("mypc.").fqdn());
  EXPECT_FALSE(classify_helo("[192.0.2.1]").fqdn());
}

TEST(HeloName, LengthLimits) {
  const std::string label63(63, 'a');
  EXPECT_EQ(kind(label63 + ".example"), HeloKind::kDomain);
  EXPECT_EQ(kind(label63 + "a.example"), HeloKind::kBadSyntax);
  // 4 labels of 63 + 3 dots = 255: the limit.
  const std::string name255 = label63 + "." + label63 + "." + label63 + "." + label63;
  ASSERT_EQ(name255.size(), 255u);
  EXPECT_EQ(kind(name255), HeloKind::kDomain);
  EXPECT_EQ(kind(name255 + "."), HeloKind::kDomain);
  EXPECT_EQ(kind("a" + name255), HeloKind::kBadSyntax);
}

TEST(HeloName, BadSyntax) {
  const std::string_view bad[] = {"-mx.example.org",
                                  "mx-.example.org",
                                  "mx..example.org",
                                  ".example.org",
                                  "mx.example.org..",
                                  ".",
                                  "..",
                                  "my_pc",
                                  "my_pc.example.org",
                                  "mx.example.org/",
                                  "m x",
                                  "caf\xc3\xa9.example",
                                  "1.2.3",
                                  "192.0.2.256",
                                  "192.0.2",
                                  "12345",
                                  "example.123",
                                  "192.0.2.01",
                                  "[192.0.2.1",
                                  "192.0.2.1]",
                                  "[]",
                                  "[::1]",
                                  "[IPv6:192.0.2.1]",
                                  "[IPv6:]",
                                  "[IPv4:192.0.2.1]",
                                  "[192.0.2.256]",
                                  "[192.0.2.1.5]",
                                  "[tag:content]",
                                  "[IPv6:fe80::1%eth0]",
                                  "fe80::1%eth0",
                                  "[IPv6:2001:db8::1]x",
                                  "x[192.0.2.1]",
                                  "[ 192.0.2.1]",
                                  "nul\0.example"sv,
                                  "\x01",
                                  "[IPv6:2001:db8::g]",
                                  "2001:db8::g",
                                  "[[192.0.2.1]]",
                                  "[192.0.2.1].example"};
  for (std::string_view b : bad) EXPECT_EQ(kind(b), HeloKind::kBadSyntax) << b;
}

TEST(HeloName, AddressLiterals) {
  HeloName n = classify_helo("[192.0.2.1]");
  EXPECT_EQ(n.kind, HeloKind::kAddressLiteral);
  EXPECT_EQ(n.ip, *config::IpAddress::parse("192.0.2.1"));
  n = classify_helo("[IPv6:2001:DB8::1]");
  EXPECT_EQ(n.kind, HeloKind::kAddressLiteral);
  EXPECT_EQ(n.ip, *config::IpAddress::parse("2001:db8::1"));
  n = classify_helo("[ipv6:::1]");
  EXPECT_EQ(n.kind, HeloKind::kAddressLiteral);
  EXPECT_EQ(n.ip, *config::IpAddress::parse("::1"));
  n = classify_helo("[IPv6:::ffff:192.0.2.1]");
  EXPECT_EQ(n.kind, HeloKind::kAddressLiteral);
  EXPECT_EQ(n.ip, *config::IpAddress::parse("192.0.2.1"));
}

TEST(HeloName, BareIps) {
  HeloName n = classify_helo("192.0.2.1");
  EXPECT_EQ(n.kind, HeloKind::kBareIp);
  EXPECT_EQ(n.ip, *config::IpAddress::parse("192.0.2.1"));
  n = classify_helo("2001:db8::1");
  EXPECT_EQ(n.kind, HeloKind::kBareIp);
  EXPECT_EQ(n.ip, *config::IpAddress::parse("2001:db8::1"));
  EXPECT_EQ(kind("::1"), HeloKind::kBareIp);
  EXPECT_EQ(kind("::ffff:192.0.2.1"), HeloKind::kBareIp);
  EXPECT_EQ(kind("IPv6:2001:db8::1"), HeloKind::kBadSyntax);
}

}  // namespace
}  // namespace portcullis::filters::helo
