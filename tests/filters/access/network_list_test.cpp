#include "filters/access/network_list.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace portcullis::filters::access {
namespace {

config::IpAddress ip(std::string_view text) {
  const auto parsed = config::IpAddress::parse(text);
  EXPECT_TRUE(parsed) << text;
  return parsed.value_or(config::IpAddress{});
}

std::string found(const NetworkList& list, std::string_view address) {
  const std::string* hit = list.find(ip(address));
  return hit == nullptr ? std::string("-") : *hit;
}

TEST(NetworkList, EmptyFindsNothing) {
  NetworkList list;
  EXPECT_TRUE(list.empty());
  EXPECT_EQ(found(list, "192.0.2.1"), "-");
  EXPECT_EQ(found(list, "::"), "-");
}

TEST(NetworkList, CanonicalTextAndMostSpecificMatch) {
  NetworkList list;
  std::string why;
  ASSERT_TRUE(list.add("10.0.0.0/8", why)) << why;
  ASSERT_TRUE(list.add("10.1.0.0/16", why)) << why;
  ASSERT_TRUE(list.add("10.1.2.3", why)) << why;
  ASSERT_TRUE(list.add("2001:DB8:0:0::/32", why)) << why;
  ASSERT_TRUE(list.add("::ffff:198.51.100.0/120", why)) << why;
  EXPECT_EQ(list.size(), 5u);
  EXPECT_EQ(found(list, "10.1.2.3"), "10.1.2.3/32");
  EXPECT_EQ(found(list, "10.1.2.4"), "10.1.0.0/16");
  EXPECT_EQ(found(list, "10.2.2.4"), "10.0.0.0/8");
  EXPECT_EQ(found(list, "::ffff:10.2.2.4"), "10.0.0.0/8");
  EXPECT_EQ(found(list, "11.0.0.0"), "-");
  EXPECT_EQ(found(list, "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"), "2001:db8::/32");
  EXPECT_EQ(found(list, "198.51.100.200"), "198.51.100.0/24");
  EXPECT_EQ(found(list, "198.51.101.0"), "-");
}

TEST(NetworkList, DuplicatesCountOnce) {
  NetworkList list;
  std::string why;
  ASSERT_TRUE(list.add("192.0.2.0/24", why));
  ASSERT_TRUE(list.add("::ffff:192.0.2.0/120", why));
  EXPECT_EQ(list.size(), 1u);
}

TEST(NetworkList, RefusesWhatCidrRefuses) {
  NetworkList list;
  std::string why;
  EXPECT_FALSE(list.add("192.0.2.1/24", why));
  EXPECT_EQ(why, "192.0.2.1/24 has host bits set; did you mean 192.0.2.0/24?");
  EXPECT_FALSE(list.add("fe80::1%eth0", why));
  EXPECT_FALSE(list.add("", why));
  EXPECT_FALSE(list.add("example.org", why));
  EXPECT_TRUE(list.empty());
}

// The bucketed lookup answers exactly what a scan with Cidr::contains answers.
TEST(NetworkList, AgreesWithCidrContains) {
  std::mt19937 rng(12345);
  const std::vector<std::string> networks = {
      "0.0.0.0/0",    "192.0.2.0/24",  "192.0.2.128/25",     "198.51.100.7",  "10.0.0.0/8",
      "::/0",         "2001:db8::/32", "2001:db8:8000::/33", "::1/128",       "fe80::/10",
      "64:ff9b::/96", "::ffff:0:0/96", "172.16.0.0/12",      "100.64.0.0/10", "2001:db8:1:2::/64"};
  for (std::size_t mask = 1; mask < (1u << 6); ++mask) {
    NetworkList list;
    std::vector<config::Cidr> cidrs;
    for (std::size_t i = 0; i < networks.size(); ++i) {
      if (((mask * 2654435761u) >> i) & 1) {
        std::string why;
        ASSERT_TRUE(list.add(networks[i], why)) << why;
        cidrs.push_back(*config::Cidr::parse(networks[i]));
      }
    }
    for (int n = 0; n < 500; ++n) {
      config::IpAddress a;
      for (auto& b : a.bytes) b = static_cast<std::uint8_t>(rng());
      // Half the time an IPv4-mapped address, often inside the interesting ranges.
      if (n % 2 == 0) {
        for (int i = 0; i < 10; ++i) a.bytes[static_cast<std::size_t>(i)] = 0;
        a.bytes[10] = a.bytes[11] = 0xff;
        a.is_v4 = true;
        if (n % 4 == 0) a.bytes[12] = std::array<std::uint8_t, 3>{10, 192, 172}[n % 3];
      } else if (n % 3 == 0) {
        a.bytes[0] = 0x20;
        a.bytes[1] = 0x01;
        a.bytes[2] = 0x0d;
        a.bytes[3] = 0xb8;
      }
      bool expected = false;
      for (const auto& c : cidrs) expected = expected || c.contains(a);
      EXPECT_EQ(list.find(a) != nullptr, expected) << a.to_string();
    }
  }
}

}  // namespace
}  // namespace portcullis::filters::access
