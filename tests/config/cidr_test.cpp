#include "config/cidr.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace portcullis::config {
namespace {

IpAddress ip(std::string_view text) {
  auto parsed = IpAddress::parse(text);
  EXPECT_TRUE(parsed.has_value()) << text;
  return parsed.value_or(IpAddress{});
}

Cidr net(std::string_view text) {
  auto parsed = Cidr::parse(text);
  EXPECT_TRUE(parsed.has_value()) << text;
  return parsed.value_or(Cidr{});
}

std::string why_not(std::string_view text) {
  std::string why;
  EXPECT_FALSE(Cidr::parse(text, &why).has_value()) << text;
  return why;
}

TEST(IpAddress, ParsesIpv4AsMapped) {
  const IpAddress a = ip("192.0.2.1");
  EXPECT_TRUE(a.is_v4);
  const std::array<std::uint8_t, 16> expected = {0, 0, 0,    0,    0,   0, 0, 0,
                                                 0, 0, 0xff, 0xff, 192, 0, 2, 1};
  EXPECT_EQ(a.bytes, expected);
  EXPECT_EQ(a.to_string(), "192.0.2.1");
}

TEST(IpAddress, V4MappedSpellingIsTheSameAddress) {
  const IpAddress mapped = ip("::ffff:192.0.2.1");
  EXPECT_TRUE(mapped.is_v4);
  EXPECT_EQ(mapped, ip("192.0.2.1"));
  EXPECT_EQ(mapped.to_string(), "192.0.2.1");
}

TEST(IpAddress, ParsesAndPrintsIpv6Canonically) {
  const IpAddress a = ip("2001:DB8:0:0::1");
  EXPECT_FALSE(a.is_v4);
  EXPECT_EQ(a.to_string(), "2001:db8::1");
  EXPECT_EQ(ip("::1").to_string(), "::1");
  EXPECT_EQ(ip("::").to_string(), "::");
}

TEST(IpAddress, RejectsWhatIsNotANumericAddress) {
  for (std::string_view bad :
       {"", "localhost", "192.0.2", "192.0.2.1.5", "256.0.0.1", "192.0.2.1 ", " 192.0.2.1",
        "192.0.2.1/32", "[::1]", "fe80::1%eth0", "::g", "1:2:3:4:5:6:7:8:9", "0x7f.0.0.1"}) {
    EXPECT_FALSE(IpAddress::parse(bad).has_value()) << bad;
  }
  // An embedded NUL must not make "192.0.2.1<NUL>junk" pass as 192.0.2.1.
  EXPECT_FALSE(IpAddress::parse(std::string_view("192.0.2.1\0junk", 14)).has_value());
  EXPECT_FALSE(IpAddress::parse(std::string(100, '1')).has_value());
}

TEST(Cidr, Ipv4Membership) {
  const Cidr c = net("192.0.2.0/24");
  EXPECT_TRUE(c.contains(ip("192.0.2.0")));
  EXPECT_TRUE(c.contains(ip("192.0.2.255")));
  EXPECT_FALSE(c.contains(ip("192.0.3.0")));
  EXPECT_FALSE(c.contains(ip("192.0.1.255")));
  EXPECT_EQ(c.to_string(), "192.0.2.0/24");
}

TEST(Cidr, Ipv4PrefixNotOnAByteBoundary) {
  const Cidr c = net("10.0.0.0/9");
  EXPECT_TRUE(c.contains(ip("10.127.255.255")));
  EXPECT_FALSE(c.contains(ip("10.128.0.0")));
}

TEST(Cidr, Ipv4MatchesV4MappedPeer) {
  const Cidr c = net("192.0.2.0/24");
  EXPECT_TRUE(c.contains(ip("::ffff:192.0.2.1")));
  EXPECT_FALSE(c.contains(ip("::ffff:192.0.3.1")));
  // Not the IPv4-compatible (deprecated) form, nor an IPv6 address with the same low bits.
  EXPECT_FALSE(c.contains(ip("::c000:201")));
  EXPECT_FALSE(c.contains(ip("64:ff9b::192.0.2.1")));
}

TEST(Cidr, BareAddressIsAHostRoute) {
  const Cidr v4 = net("192.0.2.7");
  EXPECT_EQ(v4, net("192.0.2.7/32"));
  EXPECT_EQ(v4.to_string(), "192.0.2.7/32");
  EXPECT_TRUE(v4.contains(ip("192.0.2.7")));
  EXPECT_FALSE(v4.contains(ip("192.0.2.6")));
  EXPECT_FALSE(v4.contains(ip("192.0.2.8")));

  const Cidr v6 = net("::1");
  EXPECT_EQ(v6, net("::1/128"));
  EXPECT_EQ(v6.to_string(), "::1/128");
  EXPECT_TRUE(v6.contains(ip("::1")));
  EXPECT_FALSE(v6.contains(ip("::2")));
  EXPECT_FALSE(v6.contains(ip("::")));
}

TEST(Cidr, Ipv4SlashZeroIsEveryIpv4AddressOnly) {
  const Cidr all_v4 = net("0.0.0.0/0");
  EXPECT_TRUE(all_v4.contains(ip("0.0.0.0")));
  EXPECT_TRUE(all_v4.contains(ip("255.255.255.255")));
  EXPECT_TRUE(all_v4.contains(ip("::ffff:8.8.8.8")));
  EXPECT_FALSE(all_v4.contains(ip("::1")));
  EXPECT_FALSE(all_v4.contains(ip("2001:db8::1")));
  EXPECT_EQ(all_v4.to_string(), "0.0.0.0/0");
}

TEST(Cidr, Ipv6SlashZeroIsEverything) {
  const Cidr all = net("::/0");
  EXPECT_TRUE(all.contains(ip("::1")));
  EXPECT_TRUE(all.contains(ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")));
  EXPECT_TRUE(all.contains(ip("192.0.2.1")));
  EXPECT_EQ(all.to_string(), "::/0");
}

TEST(Cidr, Ipv6Membership) {
  const Cidr c = net("2001:db8::/32");
  EXPECT_TRUE(c.contains(ip("2001:db8::")));
  EXPECT_TRUE(c.contains(ip("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff")));
  EXPECT_FALSE(c.contains(ip("2001:db9::")));
  EXPECT_FALSE(c.contains(ip("2001:db7:ffff::")));
  EXPECT_FALSE(c.contains(ip("192.0.2.1")));
  EXPECT_EQ(c.to_string(), "2001:db8::/32");

  const Cidr odd = net("2001:db8:0:0:8000::/65");
  EXPECT_TRUE(odd.contains(ip("2001:db8::8000:0:0:1")));
  EXPECT_FALSE(odd.contains(ip("2001:db8::7fff:0:0:1")));
}

TEST(Cidr, Ipv6WrittenV4MappedNetworkIsTheIpv4Network) {
  const Cidr c = net("::ffff:192.0.2.0/120");
  EXPECT_EQ(c, net("192.0.2.0/24"));
  EXPECT_TRUE(c.contains(ip("192.0.2.9")));
  EXPECT_EQ(c.to_string(), "192.0.2.0/24");
}

TEST(Cidr, HostBitsSetIsRefusedWithASuggestion) {
  EXPECT_EQ(why_not("192.0.2.1/24"), "192.0.2.1/24 has host bits set; did you mean 192.0.2.0/24?");
  EXPECT_EQ(why_not("10.255.0.0/9"), "10.255.0.0/9 has host bits set; did you mean 10.128.0.0/9?");
  EXPECT_EQ(why_not("2001:db8::1/32"),
            "2001:db8::1/32 has host bits set; did you mean 2001:db8::/32?");
  EXPECT_EQ(why_not("1.2.3.4/0"), "1.2.3.4/0 has host bits set; did you mean 0.0.0.0/0?");
  EXPECT_EQ(why_not("::ffff:192.0.2.1/120"),
            "::ffff:192.0.2.1/120 has host bits set; did you mean ::ffff:192.0.2.0/120?");
  EXPECT_FALSE(Cidr::parse("192.0.2.1/24").has_value());
}

TEST(Cidr, PrefixBoundaries) {
  EXPECT_TRUE(Cidr::parse("192.0.2.1/32").has_value());
  EXPECT_TRUE(Cidr::parse("::1/128").has_value());
  EXPECT_TRUE(Cidr::parse("0.0.0.0/0").has_value());
  EXPECT_EQ(why_not("192.0.2.0/33"),
            "expected a prefix length 0-32 after the '/', got \"192.0.2.0/33\"");
  EXPECT_EQ(why_not("::/129"), "expected a prefix length 0-128 after the '/', got \"::/129\"");
}

TEST(Cidr, RejectsMalformedText) {
  for (std::string_view bad :
       {"192.0.2.0/", "192.0.2.0/-1", "192.0.2.0/+8", "192.0.2.0/024", "192.0.2.0/24/1",
        "192.0.2.0/ 24", "192.0.2.0/8x", "fe80::1%eth0/64", "192.0.2.0/99999999999999999999"}) {
    EXPECT_FALSE(Cidr::parse(bad).has_value()) << bad;
  }
  EXPECT_EQ(why_not(""),
            "expected an address or network like 192.0.2.0/24 or 2001:db8::/32, got \"\"");
  EXPECT_EQ(why_not("/24"),
            "expected an address or network like 192.0.2.0/24 or 2001:db8::/32, got \"/24\"");
  EXPECT_EQ(
      why_not("example.org/24"),
      "expected an address or network like 192.0.2.0/24 or 2001:db8::/32, got \"example.org/24\"");
  EXPECT_FALSE(Cidr::parse(std::string_view("10.0.0.0\0/8", 11)).has_value());
}

TEST(Cidr, DefaultConstructedMatchesNoRealPeer) {
  const Cidr none;
  EXPECT_FALSE(none.contains(ip("127.0.0.1")));
  EXPECT_FALSE(none.contains(ip("::1")));
  EXPECT_FALSE(none.contains(ip("2001:db8::1")));
}

}  // namespace
}  // namespace portcullis::config
